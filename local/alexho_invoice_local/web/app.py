"""What the demo page server answers, apart from HTTP itself: files, config, tokens, publishing."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from alexho_invoice_local.aws.publishing import local_publisher
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_local.tokens import LocalTokens
from alexho_invoice_local.web.page_files import (
    BUILD_HINT,
    CONTENT_TYPES,
    missing_page_html,
    page_file,
    page_is_built,
)
from alexho_invoice_local.web.scenario_steps import (
    DEMO_CUSTOMER_IDS,
    MAX_REQUEST_BYTES,
    BadScenarioRequestError,
    parse_scenario_request,
    publish_step,
    scenario_catalog,
)
from alexho_invoice_publisher import InvalidInvoiceEventError, InvalidTokenRequestError
from alexho_invoice_publisher.errors import PublisherError
from alexho_invoice_runtime.definitions import SUBPROTOCOL

LOGGER = logging.getLogger(__name__)
#: Connect tokens live about a minute: the page fetches a fresh one for every connection attempt.
PAGE_TOKEN_TTL_SECONDS: Final = 60
PUBLISHER_SOURCE: Final = "alexho-local-demo-page"
_JSON: Final = "application/json"
_NO_STORE: Final = (("Cache-Control", "no-store"),)


@dataclass(frozen=True)
class Reply:
    """One HTTP response."""

    status: int
    body: bytes
    content_type: str = _JSON
    headers: tuple[tuple[str, str], ...] = ()


def _json_reply(status: int, payload: Any) -> Reply:
    return Reply(status, json.dumps(payload).encode(), _JSON, _NO_STORE)


def _error(status: int, message: str) -> Reply:
    return _json_reply(status, {"error": message})


class DemoPageApp:
    """Answers the page's requests for one running stack.

    - ``GET /`` and the page's files: the built page (a how-to-build page while there is none);
    - ``GET /api/config``: the WebSocket URL, the customers and the scenario steps;
    - ``GET /api/token?as=admin`` or ``?as=customer&customerId=cust-42``: a fresh connect token;
    - ``POST /api/scenario`` ``{"eventType", "invoiceId"?, "customerId"?}``: publish one step.
    """

    def __init__(
        self,
        endpoints: StackEndpoints,
        page_dir: Path,
        token_ttl_seconds: int = PAGE_TOKEN_TTL_SECONDS,
    ) -> None:
        self._endpoints = endpoints
        self._page_dir = page_dir
        self._tokens = LocalTokens(endpoints, ttl_seconds=token_ttl_seconds)
        self._publisher = local_publisher(endpoints, PUBLISHER_SOURCE)

    @property
    def page_dir(self) -> Path:
        """Where the built page is read from."""
        return self._page_dir

    def content_security_policy(self) -> str:
        """Scripts, styles and fetches from this server only; WebSockets to the stack only."""
        return (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self' {self._endpoints.websocket_url}; base-uri 'none'; "
            "form-action 'none'; frame-ancestors 'none'"
        )

    def answer(self, method: str, target: str, body: bytes) -> Reply:
        """The reply to ``method target`` (the request already passed the request guard)."""
        url = urlsplit(target)
        if url.path.startswith("/api/"):
            return self._api(method, url.path, parse_qs(url.query), body)
        if method != "GET":
            return _error(405, "method not allowed")
        return self._file(url.path)

    def _api(self, method: str, path: str, query: Mapping[str, list[str]], body: bytes) -> Reply:
        routes = {
            ("GET", "/api/config"): lambda: self._config(),
            ("GET", "/api/token"): lambda: self._token(query),
            ("POST", "/api/scenario"): lambda: self._scenario(body),
        }
        route = routes.get((method, path))
        if route is not None:
            return route()
        if any(known_path == path for _, known_path in routes):
            return _error(405, "method not allowed")
        return _error(404, "no such endpoint")

    def _config(self) -> Reply:
        return _json_reply(
            200,
            {
                "websocketUrl": self._endpoints.websocket_url,
                "subprotocol": SUBPROTOCOL,
                "customerIds": list(DEMO_CUSTOMER_IDS),
                "steps": scenario_catalog(),
            },
        )

    def _token(self, query: Mapping[str, list[str]]) -> Reply:
        role = _single(query, "as")
        customer_id = _single(query, "customerId")
        if role not in ("admin", "customer"):
            return _error(400, "as must be admin or customer")
        if role == "customer" and not customer_id:
            return _error(400, "a customer token needs customerId")
        subject = "demo-page-admin" if role == "admin" else f"demo-page-user-of-{customer_id}"
        try:
            token = self._tokens.for_role(role, customer_id, subject)
        except (InvalidTokenRequestError, ValueError) as error:
            return _error(400, str(error))
        return _json_reply(200, {"token": token})

    def _scenario(self, body: bytes) -> Reply:
        if len(body) > MAX_REQUEST_BYTES:
            return _error(413, f"the body must be at most {MAX_REQUEST_BYTES} bytes")
        try:
            request = parse_scenario_request(body)
            result = publish_step(self._publisher, request)
        except (BadScenarioRequestError, InvalidInvoiceEventError) as error:
            return _error(400, str(error))
        except PublisherError as error:
            LOGGER.warning("demo page: publishing failed: %s", error)
            return _error(502, f"publishing failed: {error}")
        return _json_reply(
            200,
            {
                "eventId": result.event_id,
                "eventType": str(request.step.event_type),
                "invoiceId": request.invoice_id,
                "customerId": request.customer_id,
                "status": request.step.data["status"],
            },
        )

    def _file(self, path: str) -> Reply:
        if not page_is_built(self._page_dir):
            if path in ("/", "/index.html"):
                return Reply(503, missing_page_html(self._page_dir), CONTENT_TYPES[".html"])
            return _error(404, BUILD_HINT)
        found = page_file(self._page_dir, path)
        if found is None:
            return _error(404, "not found")
        return Reply(200, found.read_bytes(), CONTENT_TYPES[found.suffix], _NO_STORE)


def _single(query: Mapping[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None
