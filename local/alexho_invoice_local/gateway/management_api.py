"""API Gateway's Management API (``@connections``) over HTTP, for the unchanged fan-out code.

``boto3.client("apigatewaymanagementapi", endpoint_url=<callback URL>)`` talks to it as to AWS:

- ``POST /{stage}/@connections/{id}``: the body goes to that connection (200);
- ``GET``: ``connectedAt``, ``identity`` and ``lastActiveAt`` (200);
- ``DELETE``: closes the connection (204);
- an unknown or closed id: 410 with ``x-amzn-ErrorType: GoneException``, which botocore raises
  as ``client.exceptions.GoneException``; a body over 128 KB: 413 ``PayloadTooLargeException``.

Like API Gateway, it refuses a request whose SigV4 shape is wrong with a 403: no
``Authorization`` header (``MissingAuthenticationTokenException``), a credential scope for
another service or region, or an ``X-Amz-Date`` more than 15 minutes off (see
:mod:`~alexho_invoice_local.gateway.sigv4_shape`). The signature itself is not verified: the
local stack holds no secret keys. HTTP/1.1 keep-alive is supported, as connection pools expect.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from alexho_invoice_local.gateway.ids import new_api_gateway_id
from alexho_invoice_local.gateway.server import ConnectionGoneError, WebSocketGateway
from alexho_invoice_local.gateway.sigv4_shape import signature_problem
from alexho_invoice_local.ports import explained_bind_errors

LOGGER = logging.getLogger(__name__)
_MAX_HEADER_BYTES = 64 * 1024
#: Bodies larger than this are not even read: the connection is closed after the 413.
_MAX_READ_BYTES = 1024 * 1024
_CONNECTIONS_SEGMENT = "@connections"
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

    def __init__(self, gateway: WebSocketGateway, stage: str, max_payload_bytes: int) -> None:
        self._gateway = gateway
        self._stage = stage
        self._max_payload = max_payload_bytes
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> int:
        """Listen on ``host:port``; returns the bound port."""
        with explained_bind_errors("Management API", host, port):
            self._server = await asyncio.start_server(
                self._serve_client, host, port, limit=_MAX_HEADER_BYTES
            )
        bound: int = self._server.sockets[0].getsockname()[1]
        return bound

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
        except ValueError:
            return _error(400, "BadRequestException", "Malformed HTTP request", close=True)
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
        problem = signature_problem(headers, self._gateway.api.region)
        if problem is None:
            reply = await self._route(method, target, body)
        else:
            reply = _error(403, problem.error_type, problem.message)
        if headers.get("connection", "").lower() == "close":
            return _Reply(reply.status, reply.body, reply.error_type, close=True)
        return reply

    async def _route(self, method: str, target: str, body: bytes) -> _Reply:
        connection_id = self._connection_id(target)
        if connection_id is None:
            return _error(403, "ForbiddenException", "Forbidden")
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
        if segments and segments[0] == self._stage:
            segments = segments[1:]
        if len(segments) != 2 or segments[0] != _CONNECTIONS_SEGMENT or not segments[1]:
            return None
        return unquote(segments[1])

    def _describe(self, connection_id: str) -> dict[str, Any]:
        live = self._gateway.describe(connection_id)
        return {
            "connectedAt": _iso8601(live.client.connected_at_ms),
            "identity": {"sourceIp": live.client.source_ip, "userAgent": live.client.user_agent},
            "lastActiveAt": _iso8601(live.last_active_at_ms),
        }


def _parse_head(head: bytes) -> tuple[str, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ", 2)
    if not version.startswith("HTTP/1."):
        raise ValueError(version)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
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
