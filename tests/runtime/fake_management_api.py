"""A real HTTP server on loopback that plays API Gateway's ``@connections`` Management API.

The fan-out's signed transport and boto3's ``apigatewaymanagementapi`` client talk to it over
HTTP exactly as to AWS (moto leaves loopback URLs alone), so handlers are exercised with real
requests, real error answers (``GoneException`` on 410, ``LimitExceededException`` on 429) and
real retries. Like AWS, it verifies each request's SigV4 signature (service ``execute-api``)
against the secret of its access key, and answers 403 to an unsigned or wrongly signed request.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol
from urllib.parse import unquote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.runtime.loopback import LoopbackHTTPServer

STAGE = "test"
#: ``x-amzn-ErrorType`` the endpoint sends with each status of ``ManagementEndpoint.failing``.
ERROR_TYPES = {
    400: "BadRequestException",
    403: "ForbiddenException",
    429: "LimitExceededException",
    500: "InternalServerError",
    502: "BadGatewayException",
    503: "ServiceUnavailableException",
    504: "GatewayTimeoutException",
}
_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), "
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)


@dataclass
class ManagementEndpoint:
    """Records every post; answers 410 for ``gone`` ids and 429 once for ``throttle_once`` ids."""

    url: str = ""
    #: (connection id, body bytes) of every accepted post, in arrival order.
    posts: list[tuple[str, bytes]] = field(default_factory=list)
    #: Connection ids deleted through ``delete_connection``.
    deleted: list[str] = field(default_factory=list)
    #: Ids answered with 410 GoneException on every post.
    gone: set[str] = field(default_factory=set)
    #: Ids answered with 429 LimitExceededException on their next post only.
    throttle_once: set[str] = field(default_factory=set)
    #: Ids that got a 429 (one entry per throttled request).
    throttled: list[str] = field(default_factory=list)
    #: Ids answered on every post with the given status (500, 429, ...), see ``ERROR_TYPES``.
    failing: dict[str, int] = field(default_factory=dict)
    #: Ids answered with the given status on their next post only.
    fail_once: dict[str, int] = field(default_factory=dict)
    #: Ids whose next ``n`` posts get no answer: the server closes the HTTP connection.
    drop: dict[str, int] = field(default_factory=dict)
    #: Secret key of each access key whose signatures are accepted, besides the environment's.
    secret_keys: dict[str, str] = field(default_factory=dict)
    #: Access key of every request with a valid signature, in arrival order.
    signed_by: list[str] = field(default_factory=list)
    #: Delay before each answer, to imitate the network.
    latency_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def messages_for(self, connection_id: str) -> list[dict[str, Any]]:
        """The JSON frames posted to ``connection_id``, in order."""
        with self.lock:
            return [json.loads(body) for cid, body in self.posts if cid == connection_id]

    def recipients(self) -> list[str]:
        """Connection ids that received at least one post, in first-post order."""
        with self.lock:
            return list(dict.fromkeys(cid for cid, _ in self.posts))

    def clear(self) -> None:
        """Forget recorded posts and scripted failures."""
        with self.lock:
            self.posts.clear()
            self.deleted.clear()
            self.gone.clear()
            self.throttle_once.clear()
            self.throttled.clear()
            self.failing.clear()
            self.fail_once.clear()
            self.drop.clear()
            self.signed_by.clear()

    def secret_for(self, access_key: str) -> str | None:
        """The secret of ``access_key``: a configured one, else the environment's credentials
        (those boto3 and the runtime sign with in a test)."""
        with self.lock:
            if access_key in self.secret_keys:
                return self.secret_keys[access_key]
        if os.environ.get("AWS_ACCESS_KEY_ID") == access_key:
            return os.environ.get("AWS_SECRET_ACCESS_KEY")
        return None


class SigningPeer(Protocol):
    """The side of a fake service that knows the secret keys and records valid signers."""

    lock: threading.Lock
    signed_by: list[str]

    def secret_for(self, access_key: str) -> str | None:
        """The secret of ``access_key``, or ``None`` for an unknown key."""


def signature_error(
    endpoint: SigningPeer,
    handler: BaseHTTPRequestHandler,
    body: bytes,
    service: str = "execute-api",
) -> str | None:
    """Why the request is not validly signed for ``service``, or ``None`` if it is."""
    authorization = handler.headers.get("Authorization")
    amz_date = handler.headers.get("X-Amz-Date")
    if not authorization or not amz_date:
        return "MissingAuthenticationTokenException"
    match = _AUTHORIZATION.match(authorization)
    if match is None or match["service"] != service or match["date"] != amz_date[:8]:
        return "IncompleteSignatureException"
    secret = endpoint.secret_for(match["key"])
    if secret is None:
        return "UnrecognizedClientException"
    signed = match["signed"].split(";")
    headers = {name: handler.headers.get(name, "") for name in signed}
    host = handler.headers.get("Host", "")
    request = AWSRequest(
        method=handler.command, url=f"http://{host}{handler.path}", data=body, headers=headers
    )
    request.context["timestamp"] = amz_date
    token = handler.headers.get("X-Amz-Security-Token")
    signer = SigV4Auth(Credentials(match["key"], secret, token), service, match["region"])
    expected = signer.signature(
        signer.string_to_sign(request, signer.canonical_request(request)), request
    )
    if expected != match["signature"]:
        return "InvalidSignatureException"
    with endpoint.lock:
        endpoint.signed_by.append(match["key"])
    return None


def _handler_class(endpoint: ManagementEndpoint) -> type[BaseHTTPRequestHandler]:
    prefix = f"/{STAGE}/@connections/"

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Silence the default stderr access log."""

        def _connection_id(self) -> str | None:
            if not self.path.startswith(prefix):
                return None
            return unquote(self.path[len(prefix) :])

        def _answer(self, status: int, error: str | None = None) -> None:
            body = json.dumps({"message": error}).encode() if error else b""
            self.send_response(status)
            if error:
                self.send_header("x-amzn-ErrorType", error)
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _signed(self, body: bytes) -> bool:
            error = signature_error(endpoint, self, body)
            if error is not None:
                self._answer(403, error)
            return error is None

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if endpoint.latency_seconds:
                time.sleep(endpoint.latency_seconds)
            connection_id = self._connection_id()
            if connection_id is None:
                self._answer(404, "NotFoundException")
                return
            if not self._signed(body):
                return
            with endpoint.lock:
                dropped = endpoint.drop.get(connection_id, 0) > 0
                if dropped:
                    endpoint.drop[connection_id] -= 1
            if dropped:
                self.close_connection = True  # no answer: the client sees the connection drop
                return
            with endpoint.lock:
                if connection_id in endpoint.gone:
                    status, error = 410, "GoneException"
                elif connection_id in endpoint.failing:
                    status = endpoint.failing[connection_id]
                    error = ERROR_TYPES.get(status, "InternalServerError")
                elif connection_id in endpoint.fail_once:
                    status = endpoint.fail_once.pop(connection_id)
                    error = ERROR_TYPES.get(status, "InternalServerError")
                elif connection_id in endpoint.throttle_once:
                    endpoint.throttle_once.discard(connection_id)
                    endpoint.throttled.append(connection_id)
                    status, error = 429, "LimitExceededException"
                else:
                    endpoint.posts.append((connection_id, body))
                    status, error = 200, None
            self._answer(status, error)

        def do_GET(self) -> None:
            connection_id = self._connection_id()
            if connection_id is None:
                self._answer(404, "NotFoundException")
                return
            if not self._signed(b""):
                return
            with endpoint.lock:
                gone = connection_id in endpoint.gone
            if gone:
                self._answer(410, "GoneException")
                return
            body = json.dumps({"connectedAt": "2026-12-06T12:00:00Z", "identity": {}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_DELETE(self) -> None:
            connection_id = self._connection_id()
            if connection_id is None:
                self._answer(404, "NotFoundException")
                return
            if not self._signed(b""):
                return
            with endpoint.lock:
                gone = connection_id in endpoint.gone
                endpoint.deleted.append(connection_id)
            self._answer(410, "GoneException") if gone else self._answer(204)

    return Handler


class ManagementApiServer:
    """Runs a :class:`ManagementEndpoint` on ``127.0.0.1`` in a background thread."""

    def __init__(self) -> None:
        self.endpoint = ManagementEndpoint()
        self._server = LoopbackHTTPServer(_handler_class(self.endpoint))
        self.endpoint.url = f"{self._server.base_url}/{STAGE}"

    def __enter__(self) -> ManagementEndpoint:
        self._server.start()
        return self.endpoint

    def __exit__(self, *_: object) -> None:
        self._server.stop()
