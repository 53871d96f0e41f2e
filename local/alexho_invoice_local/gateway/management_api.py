"""API Gateway's Management API (``@connections``) over HTTP, for the unchanged fan-out code.

``boto3.client("apigatewaymanagementapi", endpoint_url=<callback URL>)`` talks to it as to AWS:

- ``POST /{stage}/@connections/{id}``: the body goes to that connection (200);
- ``GET``: ``connectedAt``, ``identity`` and ``lastActiveAt`` (200);
- ``DELETE``: closes the connection (204);
- an unknown or closed id: 410 with ``x-amzn-ErrorType: GoneException``, which botocore raises
  as ``client.exceptions.GoneException``; a body over 128 KB: 413 ``PayloadTooLargeException``.

Like API Gateway's default endpoint, it answers only paths below the stage
(``/{stage}/@connections/{id}``; anything else is 403 ``ForbiddenException``), and it verifies
SigV4 with the local stack's credentials (those ``alexho-local env`` hands out): no
``Authorization`` header (``MissingAuthenticationTokenException``), a credential scope for
another service or region, an ``X-Amz-Date`` more than 15 minutes off (see
:mod:`~alexho_invoice_local.gateway.sigv4_shape`), another access key
(``UnrecognizedClientException``) or a signature that does not match
(``InvalidSignatureException``, :mod:`~alexho_invoice_local.gateway.sigv4_verify`) get a 403.
A ``Host`` other than a loopback name with this server's port gets a 403 (DNS rebinding); a
malformed request line or header, or a repeated header, gets a 400 and the connection is
closed. HTTP/1.1 keep-alive is supported, as connection pools expect.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from alexho_invoice_local.aws.clients import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY
from alexho_invoice_local.gateway.ids import new_api_gateway_id
from alexho_invoice_local.gateway.server import ConnectionGoneError, WebSocketGateway
from alexho_invoice_local.gateway.sigv4_shape import signature_problem
from alexho_invoice_local.gateway.sigv4_verify import verification_problem
from alexho_invoice_local.loopback_hosts import MalformedHostError, is_own_host
from alexho_invoice_local.ports import explained_bind_errors

LOGGER = logging.getLogger(__name__)
_MAX_HEADER_BYTES = 64 * 1024
#: Bodies larger than this are not even read: the connection is closed after the 413.
_MAX_READ_BYTES = 1024 * 1024
_CONNECTIONS_SEGMENT = "@connections"
_TOKEN_CHARACTERS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz")
_REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    403: "Forbidden",
    410: "Gone",
    411: "Length Required",
    413: "Payload Too Large",
}


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes = b""
    error_type: str | None = None
    close: bool = False


def _error(status: int, error_type: str, message: str, *, close: bool = False) -> _Reply:
    return _Reply(status, json.dumps({"message": message}).encode(), error_type, close)


def _iso8601(epoch_ms: int) -> str:
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ManagementApiServer:
    """Serves ``@connections`` for one gateway, on the gateway's event loop."""

    def __init__(
        self,
        gateway: WebSocketGateway,
        stage: str,
        max_payload_bytes: int,
        credentials: tuple[str, str] = (FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY),
        forwarded_ports: Collection[int] = (),
    ) -> None:
        self._gateway = gateway
        self._stage = stage
        self._max_payload = max_payload_bytes
        #: The one access key and secret key whose signatures are accepted.
        self._credentials = credentials
        self._forwarded_ports = frozenset(forwarded_ports)
        self._port = 0
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> int:
        """Listen on ``host:port``; returns the bound port."""
        with explained_bind_errors("Management API", host, port):
            self._server = await asyncio.start_server(
                self._serve_client, host, port, limit=_MAX_HEADER_BYTES
            )
        self._port = self._server.sockets[0].getsockname()[1]
        return self._port

    async def stop(self) -> None:
        """Stop listening and drop idle keep-alive connections."""
        if self._server is None:
            return
        self._server.close()
        for task in list(self._clients):
            task.cancel()
        await asyncio.gather(*self._clients, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._clients.add(task)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                reply = await self._answer(head, reader, writer)
                writer.write(_encode(reply))
                await writer.drain()
                if reply.close:
                    return
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            if task is not None:
                self._clients.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _answer(
        self, head: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> _Reply:
        try:
            method, target, headers = _parse_head(head)
        except ValueError as error:
            return _error(
                400, "BadRequestException", f"Malformed HTTP request: {error}", close=True
            )
        try:
            own_host = is_own_host(headers.get("host", ""), self._port, self._forwarded_ports)
        except MalformedHostError:
            return _error(400, "BadRequestException", "Malformed Host header", close=True)
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return _error(411, "LengthRequiredException", "Send a Content-Length", close=True)
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError:
            return _error(400, "BadRequestException", "Invalid Content-Length", close=True)
        if length < 0 or length > _MAX_READ_BYTES:
            return _error(413, "PayloadTooLargeException", "Request entity too large", close=True)
        if headers.get("expect", "").lower() == "100-continue":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = await reader.readexactly(length) if length else b""
        reply = await self._authorized_reply(method, target, headers, body, own_host=own_host)
        if headers.get("connection", "").lower() == "close":
            return _Reply(reply.status, reply.body, reply.error_type, close=True)
        return reply

    async def _authorized_reply(
        self, method: str, target: str, headers: dict[str, str], body: bytes, *, own_host: bool
    ) -> _Reply:
        if not own_host:
            return _error(403, "ForbiddenException", "Forbidden")
        region = self._gateway.api.region
        access_key, secret_key = self._credentials
        problem = signature_problem(headers, region) or verification_problem(
            method,
            target,
            headers,
            body,
            region=region,
            access_key=access_key,
            secret_key=secret_key,
        )
        if problem is not None:
            return _error(403, problem.error_type, problem.message)
        connection_id = self._connection_id(target)
        if connection_id is None:
            return _error(403, "ForbiddenException", "Forbidden")
        return await self._route(method, connection_id, body)

    async def _route(self, method: str, connection_id: str, body: bytes) -> _Reply:
        try:
            if method == "POST":
                if len(body) > self._max_payload:
                    return _error(413, "PayloadTooLargeException", "Message too long")
                await self._gateway.post(connection_id, body)
                return _Reply(200)
            if method == "GET":
                return _Reply(200, json.dumps(self._describe(connection_id)).encode())
            if method == "DELETE":
                await self._gateway.delete(connection_id)
                return _Reply(204)
        except ConnectionGoneError:
            return _error(410, "GoneException", "The connection is gone")
        return _error(403, "ForbiddenException", "Forbidden")

    def _connection_id(self, target: str) -> str | None:
        segments = urlsplit(target).path.split("/")[1:]
        if len(segments) != 3 or segments[0] != self._stage:
            return None  # AWS's default endpoint answers 403 without the stage, too
        if segments[1] != _CONNECTIONS_SEGMENT or not segments[2]:
            return None
        return unquote(segments[2])

    def _describe(self, connection_id: str) -> dict[str, Any]:
        live = self._gateway.describe(connection_id)
        return {
            "connectedAt": _iso8601(live.client.connected_at_ms),
            "identity": {"sourceIp": live.client.source_ip, "userAgent": live.client.user_agent},
            "lastActiveAt": _iso8601(live.last_active_at_ms),
        }


def _parse_head(head: bytes) -> tuple[str, str, dict[str, str]]:
    """Method, target and headers (lower-case names); raises ``ValueError`` with the reason
    for a malformed request line or header line, or a header sent twice."""
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, target, version = lines[0].split(" ", 2)
    except ValueError:
        raise ValueError("not a request line") from None
    if version not in ("HTTP/1.0", "HTTP/1.1") or not target.startswith("/"):
        raise ValueError("not a request line")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, colon, value = line.partition(":")
        name = name.lower()
        if not colon or not name or not set(name) <= _TOKEN_CHARACTERS:
            raise ValueError("not a header line")
        if name in headers:
            raise ValueError(f"more than one {name} header")
        headers[name] = value.strip()
    return method.upper(), target, headers


def _encode(reply: _Reply) -> bytes:
    lines = [
        f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Error')}",
        f"Date: {email.utils.formatdate(usegmt=True)}",
        f"x-amzn-RequestId: {new_api_gateway_id()}",
        f"Content-Length: {len(reply.body)}",
    ]
    if reply.body:
        lines.append("Content-Type: application/json")
    if reply.error_type:
        lines.append(f"x-amzn-ErrorType: {reply.error_type}")
    lines.append("Connection: close" if reply.close else "Connection: keep-alive")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + reply.body
