"""The demo page's server over real HTTP: tokens the gateway accepts, publishing a scenario step,
refusing other origins and hosts, no token in its log, and a clear answer while the page is not
built."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alexho_invoice_local.cli.client import InvoiceStreamClient
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_local.tokens import LocalTokens
from alexho_invoice_local.web.app import DemoPageApp
from alexho_invoice_local.web.server import DemoPageServer
from tests.local.conftest import run

pytestmark = pytest.mark.slow

JSON = {"Content-Type": "application/json"}


def http(
    url: str,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of one request (errors included)."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def api(url: str, **kwargs: Any) -> tuple[int, Any]:
    status, _, body = http(url, **kwargs)
    return status, json.loads(body)


@pytest.fixture(scope="module")
def page_url(endpoints: StackEndpoints) -> str:
    assert endpoints.demo_page_url is not None
    return endpoints.demo_page_url


def test_config_names_the_websocket_url_and_the_scenario_steps(
    page_url: str, endpoints: StackEndpoints
) -> None:
    status, config = api(f"{page_url}api/config")
    assert status == 200
    assert config["websocketUrl"] == endpoints.websocket_url
    assert config["customerIds"] == ["cust-42", "cust-99"]
    assert [step["eventType"] for step in config["steps"]] == [
        "INVOICE_CREATED",
        "INVOICE_UPDATED",
        "INVOICE_SENT",
        "INVOICE_PAID",
        "PAYMENT_RECORDED",
    ]


def test_a_scenario_step_is_published_and_delivered(
    page_url: str, endpoints: StackEndpoints, tokens: LocalTokens
) -> None:
    async def publish_while_listening() -> tuple[int, Any, list[dict[str, Any]]]:
        async with InvoiceStreamClient(endpoints.websocket_url, tokens.admin()) as admin:
            status, reply = api(
                f"{page_url}api/scenario",
                method="POST",
                body=b'{"eventType": "INVOICE_SENT", "invoiceId": "inv-http"}',
                headers=JSON,
            )
            return status, reply, await admin.wait_for_events(1, timeout=5)

    status, reply, events = run(publish_while_listening())
    assert status == 200
    assert [event["id"] for event in events] == [reply["eventId"]]
    assert events[0]["data"]["invoiceId"] == "inv-http"
    assert events[0]["data"]["status"] == "SENT"
    assert events[0]["customerid"] == "cust-42"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "JSON object"),
        (b'{"eventType": "INVOICE_DELETED"}', "eventType must be one of"),
        (b'{"eventType": "INVOICE_SENT", "invoiceId": "no spaces"}', "invoiceId"),
        (b'{"eventType": "INVOICE_SENT", "customerId": 42}', "must be strings"),
    ],
)
def test_a_bad_scenario_request_is_refused_with_the_reason(
    page_url: str, body: bytes, message: str
) -> None:
    status, reply = api(f"{page_url}api/scenario", method="POST", body=body, headers=JSON)
    assert status == 400
    assert message in reply["error"]


def test_a_page_token_opens_a_connection_of_its_identity(
    page_url: str, endpoints: StackEndpoints
) -> None:
    status, reply = api(f"{page_url}api/token?as=customer&customerId=cust-99")
    assert status == 200

    async def connect() -> str:
        async with InvoiceStreamClient(endpoints.websocket_url, reply["token"]) as client:
            return str(client.websocket.subprotocol)

    assert run(connect()) == "alexho-invoice.v1"


@pytest.mark.parametrize(
    "query", ["", "?as=root", "?as=customer", "?as=customer&customerId=bad%20id"]
)
def test_a_token_request_without_a_valid_identity_is_refused(page_url: str, query: str) -> None:
    status, reply = api(f"{page_url}api/token{query}")
    assert status == 400
    assert "token" not in reply


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "api/token?as=admin", {"Host": "attacker.example:80"}),
        ("GET", "api/token?as=admin", {"Origin": "http://attacker.example"}),
        ("GET", "api/token?as=admin", {"Sec-Fetch-Site": "cross-site"}),
        ("POST", "api/scenario", {"Content-Type": "text/plain"}),
        ("GET", "", {"Host": "rebound.attacker.example"}),
    ],
)
def test_requests_from_other_sites_are_refused(
    page_url: str, method: str, path: str, headers: dict[str, str]
) -> None:
    body = b'{"eventType": "INVOICE_SENT"}' if method == "POST" else None
    status, _, reply = http(f"{page_url}{path}", method=method, body=body, headers=headers)
    assert status == 403
    assert b"token" not in reply.replace(b"Host header", b"")


def test_the_page_is_served_with_a_strict_content_security_policy(
    page_url: str, endpoints: StackEndpoints
) -> None:
    status, headers, body = http(page_url)
    assert status == 200
    assert b'<script type="module" src="app.js">' in body
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert f"connect-src 'self' {endpoints.websocket_url}" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_no_token_reaches_the_log(page_url: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="alexho_invoice_local.web"):
        status, reply = api(f"{page_url}api/token?as=admin")
    assert status == 200
    assert "demo page: GET /api/token" in caplog.text
    assert reply["token"] not in caplog.text
    assert "?" not in caplog.text


@pytest.fixture
def unbuilt_page(endpoints: StackEndpoints, tmp_path: Path) -> Iterator[str]:
    """A demo page server whose page directory holds no build."""
    server = DemoPageServer(DemoPageApp(endpoints, tmp_path / "dist"))
    port = server.start("127.0.0.1", 0)
    yield f"http://127.0.0.1:{port}/"
    server.stop()


def test_an_unbuilt_page_says_how_to_build_it(unbuilt_page: str) -> None:
    status, _, body = http(unbuilt_page)
    assert status == 503
    assert b"make setup" in body
    status, reply = api(f"{unbuilt_page}app.js")
    assert status == 404
    assert "make setup" in reply["error"]


def test_only_files_of_the_built_page_are_served(endpoints: StackEndpoints, tmp_path: Path) -> None:
    page = tmp_path / "dist"
    page.mkdir()
    (page / "index.html").write_text("<!doctype html><title>page</title>")
    (page / ".env").write_text("SECRET=1")
    (tmp_path / "outside.html").write_text("outside")
    server = DemoPageServer(DemoPageApp(endpoints, page))
    url = f"http://127.0.0.1:{server.start('127.0.0.1', 0)}"
    try:
        assert http(f"{url}/")[0] == 200
        assert http(f"{url}/index.html")[0] == 200
        for path in ("/.env", "/../outside.html", "/%2e%2e/outside.html", "/index.html/"):
            assert http(f"{url}{path}")[0] == 404, path
    finally:
        server.stop()
