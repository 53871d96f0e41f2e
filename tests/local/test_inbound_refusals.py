"""What the running stack lets in from the machine's other programs and web pages: loopback
``Host`` headers with each listener's own port, no web page at the AWS endpoint (moto), browser
pages of other sites kept off the WebSocket, and a 400 (never a 500) for repeated headers."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from alexho_invoice_local.aws.clients import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_local.gateway.apigw_events import ApiGatewayInfo
from alexho_invoice_local.gateway.server import GatewayLimits, GatewayRoutes, WebSocketGateway
from alexho_invoice_local.tokens import LocalTokens
from alexho_invoice_runtime.definitions import SUBPROTOCOL
from tests.local.raw_http import RawReply, raw_request, websocket_headers

GET_SECRET = "secretsmanager.GetSecretValue"


def port_of(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


def get_secret_value(
    endpoints: StackEndpoints, host: str, *extra: tuple[str, str], method: str = "POST"
) -> RawReply:
    """Secrets Manager's GetSecretValue for the signing secret, as a browser could send it
    (with a made-up signature), to moto."""
    body = json.dumps({"SecretId": endpoints.secret_arn}).encode()
    headers = [
        ("Host", host),
        ("X-Amz-Target", GET_SECRET),
        ("Content-Type", "application/x-amz-json-1.1"),
        ("Authorization", "AWS4-HMAC-SHA256 Credential=x/20260101/eu-west-1/secretsmanager/"),
        ("Connection", "close"),
        *extra,
    ]
    return raw_request(port_of(endpoints.aws_endpoint_url), method, "/", headers, body)


def test_moto_answers_a_local_program_on_its_loopback_address(endpoints: StackEndpoints) -> None:
    # GIVEN the request a local program sends WHEN it reaches moto THEN it is answered
    reply = get_secret_value(endpoints, f"localhost:{port_of(endpoints.aws_endpoint_url)}")
    assert reply.status == 200
    assert json.loads(reply.body)["ARN"] == endpoints.secret_arn


@pytest.mark.parametrize(
    "host", ["attacker.example:{port}", "127.0.0.1:1", "attacker.example", "127.0.0.1.nip.io"]
)
def test_moto_refuses_a_rebinding_host(endpoints: StackEndpoints, host: str) -> None:
    # WHEN a page that rebound its name to 127.0.0.1 asks moto for the signing secret
    reply = get_secret_value(endpoints, host.format(port=port_of(endpoints.aws_endpoint_url)))
    # THEN moto's answer is a 403 without the secret
    assert reply.status == 403
    assert b"SecretString" not in reply.body


@pytest.mark.parametrize(
    "extra",
    [
        ("Origin", "https://attacker.example"),
        ("Origin", "null"),
        ("Sec-Fetch-Site", "cross-site"),
        ("Sec-Fetch-Site", "same-site"),
    ],
)
def test_moto_refuses_requests_from_web_pages(
    endpoints: StackEndpoints, extra: tuple[str, str]
) -> None:
    own_host = urlsplit(endpoints.aws_endpoint_url).netloc
    # WHEN a web page's request reaches moto on its own address
    reply = get_secret_value(endpoints, own_host, extra)
    # THEN it is refused, with no CORS header that would let the page read anything
    assert reply.status == 403
    assert b"SecretString" not in reply.body
    assert not [name for name in reply.headers if name.startswith("access-control-")]


def test_moto_answers_no_cors_preflight(endpoints: StackEndpoints) -> None:
    own_host = urlsplit(endpoints.aws_endpoint_url).netloc
    # WHEN a page asks moto whether it may send a signed cross-origin request
    reply = raw_request(
        port_of(endpoints.aws_endpoint_url),
        "OPTIONS",
        "/",
        [
            ("Host", own_host),
            ("Origin", "https://attacker.example"),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "authorization,x-amz-target"),
            ("Connection", "close"),
        ],
    )
    # THEN it may not: no Access-Control-Allow-* header at all
    assert reply.status == 403
    assert not [name for name in reply.headers if name.startswith("access-control-")]


def test_moto_refuses_a_repeated_host_with_400(endpoints: StackEndpoints) -> None:
    own_host = urlsplit(endpoints.aws_endpoint_url).netloc
    reply = get_secret_value(endpoints, own_host, ("Host", "attacker.example"))
    assert reply.status == 400
    assert b"SecretString" not in reply.body


def handshake(endpoints: StackEndpoints, *headers: tuple[str, str]) -> RawReply:
    return raw_request(port_of(endpoints.websocket_url), "GET", "/", list(headers))


@pytest.fixture(scope="module")
def protocols(tokens: LocalTokens) -> tuple[str, str]:
    return ("Sec-WebSocket-Protocol", f"{SUBPROTOCOL}, {tokens.customer('cust-31')}")


@pytest.mark.parametrize(
    "origin",
    [None, "http://localhost:3000", "http://127.0.0.1:5173", "https://app.localhost:8443"],
)
def test_the_websocket_lets_in_local_programs_and_loopback_pages(
    endpoints: StackEndpoints, protocols: tuple[str, str], origin: str | None
) -> None:
    host = urlsplit(endpoints.websocket_url).netloc
    extra = [protocols] if origin is None else [protocols, ("Origin", origin)]
    # WHEN a client with a token connects from no page, or from a dev server on loopback
    reply = handshake(endpoints, *websocket_headers(host, *extra))
    # THEN the handshake succeeds
    assert reply.status == 101


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("attacker.example:{port}", None),
        ("127.0.0.1:1", None),
        ("127.0.0.1:{port}", "https://attacker.example"),
        ("127.0.0.1:{port}", "null"),
    ],
    ids=["rebinding-host", "other-port", "foreign-origin", "null-origin"],
)
def test_the_websocket_refuses_foreign_hosts_and_pages_of_other_sites(
    endpoints: StackEndpoints, protocols: tuple[str, str], host: str, origin: str | None
) -> None:
    port = port_of(endpoints.websocket_url)
    extra = [protocols] if origin is None else [protocols, ("Origin", origin)]
    # WHEN a handshake with a valid token comes with a foreign Host or Origin
    reply = handshake(endpoints, *websocket_headers(host.format(port=port), *extra))
    # THEN it is refused with 403 before any Lambda function ran
    assert reply.status == 403


def test_a_handshake_with_two_host_headers_gets_400_not_500(
    endpoints: StackEndpoints, protocols: tuple[str, str]
) -> None:
    host = urlsplit(endpoints.websocket_url).netloc
    reply = handshake(endpoints, *websocket_headers(host, protocols, ("Host", host)))
    assert reply.status == 400
    assert b"Traceback" not in reply.body


def test_the_demo_page_server_refuses_a_repeated_host_with_400(endpoints: StackEndpoints) -> None:
    assert endpoints.demo_page_url is not None
    host = urlsplit(endpoints.demo_page_url).netloc
    reply = raw_request(
        port_of(endpoints.demo_page_url),
        "GET",
        "/api/config",
        [("Host", host), ("Host", "attacker.example"), ("Connection", "close")],
    )
    assert reply.status == 400


def test_the_demo_page_server_answers_localhost_with_its_port(endpoints: StackEndpoints) -> None:
    assert endpoints.demo_page_url is not None
    port = port_of(endpoints.demo_page_url)
    reply = raw_request(
        port, "GET", "/api/config", [("Host", f"localhost:{port}"), ("Connection", "close")]
    )
    assert reply.status == 200


def management_api(endpoints: StackEndpoints, access_key: str, secret_key: str) -> Any:
    """boto3's ``@connections`` client for the stack, signing with these credentials."""
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=endpoints.callback_url,
        region_name=endpoints.region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(retries={"max_attempts": 1}),
    )


def test_the_management_api_accepts_the_credentials_env_hands_out(
    endpoints: StackEndpoints,
) -> None:
    client = management_api(endpoints, FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY)
    # WHEN a backend with `alexho-local env`'s credentials posts to an unknown connection
    # THEN its signature passes and the answer is about the connection: gone (410)
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId="L0SM9cOFvHcCIhw=", Data=b"{}")


@pytest.mark.parametrize(
    ("access_key", "secret_key", "error_code"),
    [
        ("AKIAOTHERKEY", FAKE_SECRET_ACCESS_KEY, "UnrecognizedClientException"),
        (FAKE_ACCESS_KEY_ID, "another-secret", "InvalidSignatureException"),
    ],
    ids=["other-access-key", "wrong-secret-key"],
)
def test_the_management_api_refuses_other_credentials_as_aws_does(
    endpoints: StackEndpoints, access_key: str, secret_key: str, error_code: str
) -> None:
    client = management_api(endpoints, access_key, secret_key)
    with pytest.raises(ClientError) as refused:
        client.post_to_connection(ConnectionId="L0SM9cOFvHcCIhw=", Data=b"{}")
    assert refused.value.response["Error"]["Code"] == error_code
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def signed_post(endpoints: StackEndpoints, path: str, body: bytes) -> list[tuple[str, str]]:
    """The headers of a POST to ``path`` of the Management API signed with the local keys."""
    url = f"http://{urlsplit(endpoints.callback_url).netloc}{path}"
    request = AWSRequest(method="POST", url=url, data=body)
    credentials = Credentials(FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY)
    SigV4Auth(credentials, "execute-api", endpoints.region).add_auth(request)
    host = urlsplit(endpoints.callback_url).netloc
    return [("Host", host), *request.headers.items(), ("Connection", "close")]


def stage_path(endpoints: StackEndpoints, connection_path: str) -> str:
    return f"{urlsplit(endpoints.callback_url).path}{connection_path}"


def test_the_management_api_answers_403_without_the_stage(endpoints: StackEndpoints) -> None:
    path = "/@connections/L0SM9cOFvHcCIhw%3D"
    # WHEN a correctly signed request leaves out the stage (a wrong WEBSOCKET_CALLBACK_URL)
    reply = raw_request(
        port_of(endpoints.callback_url), "POST", path, signed_post(endpoints, path, b"{}"), b"{}"
    )
    # THEN it is forbidden, as AWS's default endpoint answers it
    assert reply.status == 403
    assert reply.headers["x-amzn-errortype"] == "ForbiddenException"


def test_a_body_changed_after_signing_fails_the_signature(endpoints: StackEndpoints) -> None:
    path = stage_path(endpoints, "/@connections/L0SM9cOFvHcCIhw%3D")
    headers = signed_post(endpoints, path, b'{"n": 1}')
    reply = raw_request(port_of(endpoints.callback_url), "POST", path, headers, b'{"n": 2}')
    assert reply.status == 403
    assert reply.headers["x-amzn-errortype"] == "InvalidSignatureException"


@pytest.mark.parametrize(
    ("replace_host", "extra", "status"),
    [
        ("attacker.example:{port}", [], 403),
        (None, [("Host", "attacker.example")], 400),
        (None, [("Content-Type", "a"), ("Content-Type", "b")], 400),
        (None, [("Not a header name", "")], 400),
    ],
    ids=["rebinding-host", "two-hosts", "repeated-header", "malformed-header"],
)
def test_the_management_api_refuses_foreign_and_malformed_requests(
    endpoints: StackEndpoints,
    replace_host: str | None,
    extra: list[tuple[str, str]],
    status: int,
) -> None:
    port = port_of(endpoints.callback_url)
    path = stage_path(endpoints, "/@connections/L0SM9cOFvHcCIhw%3D")
    headers = signed_post(endpoints, path, b"{}")
    if replace_host is not None:
        headers = [
            ("Host", replace_host.format(port=port)) if name == "Host" else (name, value)
            for name, value in headers
        ]
    headers += extra
    reply = raw_request(port, "POST", path, headers, b"{}")
    assert reply.status == status


def test_an_origin_allowed_by_the_settings_may_connect() -> None:
    async def scenario() -> tuple[int, int]:
        with ThreadPoolExecutor(2) as executor:
            gateway = WebSocketGateway(
                ApiGatewayInfo("eu-west-1", "123456789012", "apiid", "test"),
                GatewayRoutes(authorizer=None, connect=None, disconnect=None, messages={}),
                GatewayLimits(
                    max_message_bytes=1024, idle_timeout_seconds=60, max_connection_seconds=60
                ),
                executor,
                allowed_origins={"http://192.168.1.5:3000"},
            )
            port = await gateway.start("127.0.0.1", 0)
            host = f"127.0.0.1:{port}"
            try:
                # GIVEN `up --allow-origin http://192.168.1.5:3000`
                # WHEN a page of that origin, and one of another, open a WebSocket
                allowed, other = [
                    await asyncio.to_thread(
                        raw_request, port, "GET", "/", websocket_headers(host, ("Origin", origin))
                    )
                    for origin in ("http://192.168.1.5:3000", "http://192.168.1.5:4000")
                ]
            finally:
                await gateway.stop()
        return allowed.status, other.status

    # THEN only the allowed one connects
    assert asyncio.run(scenario()) == (101, 403)
