"""A WebSocket gateway that behaves like API Gateway's WebSocket APIs, on ``websockets``.

A handshake with a foreign ``Host`` or ``Origin``, or with a repeated or malformed ``Host``, is
refused first (403 / 400, :mod:`~alexho_invoice_local.gateway.handshake_guard`). Then it runs
the REQUEST authorizer (401/403 like API Gateway), then ``$connect``
(a non-2xx status refuses the connection; the ``Sec-WebSocket-Protocol`` it returns is echoed).
Each message goes to the route named by its ``action`` (``$request.body.action``) or to
``$default``, and a body the route returns is sent back (a two-way route). Messages over the
limit close the connection with 1009; idle and over-age connections are closed with 1001; a
client that stops reading is dropped once 512 KiB of frames waits for it; every close runs
``$disconnect``. No client message, however malformed, closes its connection.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import socket
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.typing import Subprotocol

from alexho_invoice_local.functions.invocation import LambdaFunction
from alexho_invoice_local.gateway import apigw_events
from alexho_invoice_local.gateway.apigw_events import ApiGatewayInfo, ClientConnection
from alexho_invoice_local.gateway.authorizer_policy import (
    AuthorizerDecision,
    decision_for_error,
    decision_for_response,
)
from alexho_invoice_local.gateway.connections import ConnectionRegistry, LiveConnection
from alexho_invoice_local.gateway.handshake_guard import handshake_refusal
from alexho_invoice_local.gateway.ids import new_api_gateway_id
from alexho_invoice_local.ports import explained_bind_errors

LOGGER = logging.getLogger(__name__)
GOING_AWAY_REASON = "Going away"
#: How long a Management API post waits for a frame to reach the socket; a frame that does not
#: (the client reads slowly) stays queued on its connection and the post still succeeds.
SEND_WAIT_SECONDS = 0.1
#: Frames waiting for a client that stopped reading: past this, the gateway drops the connection
#: (its ``$disconnect`` runs) and posts to it answer 410, so it can neither hold up the fan-out
#: nor grow without bound. The client reconnects and resumes from its last cursor.
MAX_BACKLOG_BYTES = 512 * 1024
#: The kernel's send buffer of each connection, fixed so that the backlog above is what a
#: stalled client holds (autotuning would let loopback sockets buffer megabytes unseen).
SOCKET_SEND_BUFFER_BYTES = 128 * 1024
#: How long stopping waits for clients to complete the closing handshake before cutting them.
STOP_CLOSE_SECONDS = 5.0
SLOW_CONSUMER_REASON = "Slow consumer: the client stopped reading"
HANDSHAKE_TIMEOUT_SECONDS = 35.0
_ERROR_BODIES = {401: "Unauthorized", 403: "Forbidden", 500: "Internal server error"}


class ConnectionGoneError(LookupError):
    """No open connection has that id (the Management API answers 410 GoneException)."""


@dataclass(frozen=True)
class GatewayRoutes:
    """The Lambda functions behind the API's routes."""

    authorizer: LambdaFunction | None
    connect: LambdaFunction | None
    disconnect: LambdaFunction | None
    #: Message routes by route key; ``$default`` catches what no other route matches.
    messages: Mapping[str, LambdaFunction]


@dataclass(frozen=True)
class GatewayLimits:
    """API Gateway's quotas that the gateway enforces."""

    max_message_bytes: int
    idle_timeout_seconds: float
    max_connection_seconds: float


@dataclass
class _Handshake:
    client: ClientConnection
    subprotocol: str | None


class WebSocketGateway:
    """Serves WebSocket clients and routes their lifecycle and messages to Lambda handlers."""

    def __init__(
        self,
        api: ApiGatewayInfo,
        routes: GatewayRoutes,
        limits: GatewayLimits,
        executor: Executor,
        allowed_origins: Collection[str] = (),
        forwarded_ports: Collection[int] = (),
    ) -> None:
        self.api = api
        self.routes = routes
        self.limits = limits
        #: Browser origins let in besides pages served from loopback (see handshake_guard).
        self.allowed_origins = frozenset(allowed_origins)
        #: Loopback ports that forward to this gateway, accepted in ``Host`` besides its own.
        self.forwarded_ports = frozenset(forwarded_ports)
        self._port = 0
        self.registry = ConnectionRegistry()
        self._executor = executor
        # Handshakes whose $connect succeeded, until _handle takes them over; one whose client
        # leaves first (or that fails after all) gets its $disconnect from _abandon_handshake.
        self._pending: dict[ServerConnection, _Handshake] = {}
        self._server: Server | None = None
        self._disconnects: set[asyncio.Task[None]] = set()
        self._sends: set[asyncio.Task[None]] = set()

    # --- lifecycle -----------------------------------------------------------------------------

    async def start(self, host: str, port: int) -> int:
        """Listen on ``host:port``; returns the bound port (useful with port 0)."""
        with explained_bind_errors("WebSocket gateway", host, port):
            self._server = await serve(
                self._handle,
                host,
                port,
                process_request=self._process_request,
                process_response=self._process_response,
                select_subprotocol=self._select_subprotocol,
                max_size=self.limits.max_message_bytes,
                # API Gateway neither compresses nor pings its clients.
                compression=None,
                ping_interval=None,
                server_header=None,
                # The authorizer and $connect run inside the handshake (integration timeout 29 s).
                open_timeout=HANDSHAKE_TIMEOUT_SECONDS,
            )
        self._port = self._server.sockets[0].getsockname()[1]
        return self._port

    async def stop(self) -> None:
        """Close every connection with 1001 (running ``$disconnect``), then stop listening."""
        if self._server is None:
            return
        for connection in self.registry.all():
            connection.close_cause = (CloseCode.GOING_AWAY, "Gateway shutting down")
        self._server.close(close_connections=True)
        try:
            async with asyncio.timeout(STOP_CLOSE_SECONDS):
                await asyncio.shield(self._server.wait_closed())
        except TimeoutError:
            # A client that stopped reading never takes its close frame: cut its stream.
            for connection in self.registry.all():
                connection.websocket.transport.abort()
            await self._server.wait_closed()
        # Handshakes cut short by the shutdown: their connections never opened.
        for websocket in list(self._pending):
            self._abandon_handshake(websocket, "Gateway shutting down during the handshake")
        if self._disconnects:
            await asyncio.gather(*self._disconnects, return_exceptions=True)

    # --- handshake -----------------------------------------------------------------------------

    async def _process_request(
        self, websocket: ServerConnection, request: Request
    ) -> Response | None:
        refusal = handshake_refusal(
            request.headers, self._port, self.allowed_origins, self.forwarded_ports
        )
        if refusal is not None:
            return _json_response(refusal.status, {"message": refusal.message})
        if "websocket" not in request.headers.get("Upgrade", "").lower():
            return None  # not a WebSocket handshake: websockets answers 426 by itself
        remote = websocket.remote_address
        client = ClientConnection(
            connection_id=new_api_gateway_id(),
            source_ip=str(remote[0]) if remote else "127.0.0.1",
            domain_name=request.headers.get("Host", ""),
            user_agent=request.headers.get("User-Agent"),
        )
        headers = list(request.headers.raw_items())
        headers += [
            ("X-Forwarded-For", client.source_ip),
            ("X-Forwarded-Proto", "http"),
        ]
        decision = await self._authorize(client, headers, request.path)
        if not decision.allowed:
            return _json_response(decision.status, {"message": _ERROR_BODIES.get(decision.status)})
        client.authorizer = decision.authorizer
        subprotocol: str | None = None
        if self.routes.connect is not None:
            event = apigw_events.connect_event(self.api, client, headers, request.path)
            try:
                result = await self._invoke(self.routes.connect, event)
            except Exception:
                LOGGER.exception("$connect failed")
                return _json_response(500, {"message": _ERROR_BODIES[500]})
            status = _status_of(result)
            if not 200 <= status < 300:
                return _json_response(status, {"message": _ERROR_BODIES.get(status, "Forbidden")})
            subprotocol = _response_header(result, "Sec-WebSocket-Protocol")
        self._pending[websocket] = _Handshake(client, subprotocol)
        # A client that leaves before the 101 goes out never reaches _handle: its $connect
        # already ran (and wrote its row), so it still gets its $disconnect.
        websocket.connection_lost_waiter.add_done_callback(
            lambda _: self._abandon_handshake(websocket, "Connection lost during the handshake")
        )
        return None

    async def _authorize(
        self, client: ClientConnection, headers: list[tuple[str, str]], path: str
    ) -> AuthorizerDecision:
        if self.routes.authorizer is None:
            return AuthorizerDecision(200, {})
        event = apigw_events.authorizer_request_event(self.api, client, headers, path)
        started = time.monotonic()
        try:
            response = await self._invoke(self.routes.authorizer, event)
        except Exception as error:
            return decision_for_error(error)
        latency_ms = int((time.monotonic() - started) * 1000)
        return decision_for_response(response, event["methodArn"], latency_ms)

    def _select_subprotocol(
        self, websocket: ServerConnection, offered: Sequence[Subprotocol]
    ) -> Subprotocol | None:
        handshake = self._pending.get(websocket)
        if handshake is None or handshake.subprotocol is None:
            return None
        return Subprotocol(handshake.subprotocol)

    async def _process_response(
        self, websocket: ServerConnection, request: Request, response: Response
    ) -> None:
        if response.status_code != HTTPStatus.SWITCHING_PROTOCOLS:
            # $connect succeeded but the handshake failed after all: undo like a disconnect.
            self._abandon_handshake(websocket, "Handshake failed")

    def _abandon_handshake(self, websocket: ServerConnection, reason: str) -> None:
        """Run ``$disconnect`` for a handshake whose ``$connect`` succeeded but whose
        connection never opened (no-op once :meth:`_handle` has taken it over)."""
        handshake = self._pending.pop(websocket, None)
        if handshake is not None:
            self._spawn_disconnect(handshake.client, CloseCode.ABNORMAL_CLOSURE, reason)

    # --- open connections ----------------------------------------------------------------------

    async def _handle(self, websocket: ServerConnection) -> None:
        handshake = self._pending.pop(websocket, None)
        if handshake is None:
            await websocket.close(CloseCode.INTERNAL_ERROR)
            return
        sock = websocket.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_SEND_BUFFER_BYTES)
        live = LiveConnection(handshake.client, websocket)
        self.registry.add(live)
        try:
            await self._pump(live)
        finally:
            self.registry.remove(live.connection_id)
            if not live.skip_disconnect:
                code, reason = _disconnect_cause(live)
                self._spawn_disconnect(live.client, code, reason)

    async def _pump(self, live: LiveConnection) -> None:
        age_deadline = live.opened_monotonic + self.limits.max_connection_seconds
        while True:
            idle_deadline = live.last_active_monotonic + self.limits.idle_timeout_seconds
            deadline = min(idle_deadline, age_deadline)
            try:
                async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                    message = await live.websocket.recv()
            except TimeoutError:
                why = "Idle timeout" if deadline == idle_deadline else "Maximum connection age"
                await self._close(live, CloseCode.GOING_AWAY, why)
                return
            except ConnectionClosed:
                return
            live.touch()
            try:
                await self._dispatch(live, message)
            except Exception:
                # Whatever a client sends, its connection stays (API Gateway's does too).
                LOGGER.exception("routing a message failed")
                await self._reply_error(live, "Internal server error", new_api_gateway_id())

    async def _dispatch(self, live: LiveConnection, message: str | bytes) -> None:
        if isinstance(message, bytes):
            body, is_base64, action = base64.b64encode(message).decode(), True, None
        else:
            body, is_base64, action = message, False, _action_of(message)
        route_key = apigw_events.DEFAULT_ROUTE
        if action is not None and action in self.routes.messages:
            route_key = action
        function = self.routes.messages.get(route_key)
        event = apigw_events.message_event(
            self.api, live.client, route_key, body, is_base64_encoded=is_base64
        )
        request_id = event["requestContext"]["requestId"]
        if function is None:
            await self._reply_error(live, "Forbidden", request_id)
            return
        try:
            result = await self._invoke(function, event)
        except Exception:
            LOGGER.exception("route %s failed", route_key)
            await self._reply_error(live, "Internal server error", request_id)
            return
        reply = result.get("body") if isinstance(result, Mapping) else None
        if isinstance(reply, str) and reply:
            with contextlib.suppress(ConnectionClosed):
                await live.websocket.send(reply)

    async def _reply_error(self, live: LiveConnection, message: str, request_id: str) -> None:
        error = {"message": message, "connectionId": live.connection_id, "requestId": request_id}
        with contextlib.suppress(ConnectionClosed):
            await live.websocket.send(json.dumps(error))

    async def _close(self, live: LiveConnection, code: int, why: str) -> None:
        live.close_cause = (code, why)
        await live.websocket.close(code, GOING_AWAY_REASON if code == CloseCode.GOING_AWAY else why)

    def _spawn_disconnect(self, client: ClientConnection, code: int, reason: str) -> None:
        if self.routes.disconnect is None:
            return
        event = apigw_events.disconnect_event(self.api, client, code, reason)
        task = asyncio.create_task(self._run_disconnect(self.routes.disconnect, event))
        self._disconnects.add(task)
        task.add_done_callback(self._disconnects.discard)

    async def _run_disconnect(self, function: LambdaFunction, event: dict[str, Any]) -> None:
        try:
            await self._invoke(function, event)
        except Exception:
            LOGGER.exception("$disconnect failed")

    async def _invoke(self, function: LambdaFunction, event: dict[str, Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, function.invoke, event
        )

    # --- what the Management API does ----------------------------------------------------------

    def _open(self, connection_id: str) -> LiveConnection:
        live = self.registry.get(connection_id)
        if live is None or live.websocket.state is not State.OPEN:
            raise ConnectionGoneError(connection_id)
        return live

    async def post(self, connection_id: str, data: bytes) -> None:
        """Send ``data`` to a connection (text frame when it is UTF-8, else binary)."""
        live = self._open(connection_id)
        try:
            payload: str | bytes = data.decode("utf-8")
        except UnicodeDecodeError:
            payload = data
        # The frame is written to the connection's buffer at once; only the wait for the socket
        # to take it is bounded, so one client that stops reading never holds up a post.
        send = asyncio.ensure_future(live.websocket.send(payload))
        await asyncio.wait({send}, timeout=SEND_WAIT_SECONDS)
        if send.done():
            if send.exception() is not None:
                raise ConnectionGoneError(connection_id)
        else:
            self._sends.add(send)
            send.add_done_callback(_settle_send(self._sends))
        if live.websocket.transport.get_write_buffer_size() > MAX_BACKLOG_BYTES:
            LOGGER.warning("dropping connection %s: %s", connection_id, SLOW_CONSUMER_REASON)
            live.close_cause = (CloseCode.ABNORMAL_CLOSURE, SLOW_CONSUMER_REASON)
            live.websocket.transport.abort()
            raise ConnectionGoneError(connection_id)

    def describe(self, connection_id: str) -> LiveConnection:
        """The open connection with that id (for GET ``@connections/{id}``)."""
        return self._open(connection_id)

    async def delete(self, connection_id: str) -> None:
        """Close a connection from the server side (DELETE ``@connections/{id}``)."""
        live = self._open(connection_id)
        live.close_cause = (CloseCode.NORMAL_CLOSURE, "Connection deleted through @connections")
        task = asyncio.create_task(live.websocket.close(CloseCode.NORMAL_CLOSURE))
        self._disconnects.add(task)
        task.add_done_callback(self._disconnects.discard)

    def drop_without_disconnect(self, connection_id: str) -> None:
        """Cut a connection's TCP stream and lose its ``$disconnect`` (a vanished client)."""
        live = self._open(connection_id)
        live.skip_disconnect = True
        live.websocket.transport.abort()


def _settle_send(pending: set[asyncio.Task[None]]) -> Callable[[asyncio.Task[None]], None]:
    """A done-callback for a send left running: forget it and retrieve its outcome (a send to
    a connection that closed meanwhile fails, and that is already known)."""

    def settle(task: asyncio.Task[None]) -> None:
        pending.discard(task)
        if not task.cancelled():
            task.exception()

    return settle


def _status_of(result: Any) -> int:
    if not isinstance(result, Mapping) or result.get("statusCode") is None:
        return 200
    try:
        return int(result["statusCode"])
    except (TypeError, ValueError):
        return 500


def _response_header(result: Any, name: str) -> str | None:
    if not isinstance(result, Mapping):
        return None
    for key, value in (result.get("headers") or {}).items():
        if key.lower() == name.lower() and isinstance(value, str):
            return value
    for key, values in (result.get("multiValueHeaders") or {}).items():
        if key.lower() == name.lower() and values:
            return ", ".join(str(value) for value in values)
    return None


def _action_of(message: str) -> str | None:
    try:
        parsed = json.loads(message)
    except (ValueError, RecursionError):
        # Not JSON to route on (API Gateway too): $default gets it and answers with an error.
        return None
    action = parsed.get("action") if isinstance(parsed, dict) else None
    return action if isinstance(action, str) else None


def _disconnect_cause(live: LiveConnection) -> tuple[int, str]:
    if live.close_cause is not None:
        return live.close_cause
    protocol = live.websocket.protocol
    if protocol.close_sent is not None and protocol.close_sent.code == CloseCode.MESSAGE_TOO_BIG:
        return CloseCode.MESSAGE_TOO_BIG, "Message too big"
    code = live.websocket.close_code or CloseCode.ABNORMAL_CLOSURE
    if protocol.close_rcvd is None:
        return CloseCode.ABNORMAL_CLOSURE, "Connection lost without a close frame"
    return code, f"Client-side close frame status code {code}"


def _json_response(status: int, body: dict[str, Any]) -> Response:
    encoded = json.dumps(body).encode()
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    headers = Headers(
        [
            ("Connection", "close"),
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(encoded))),
            ("x-amzn-RequestId", new_api_gateway_id()),
        ]
    )
    return Response(status, phrase, headers, encoded)
