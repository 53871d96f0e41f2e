"""Every connection whose ``$connect`` succeeded gets its ``$disconnect``, also when the client
leaves before the handshake's 101 went out, and when the gateway stops meanwhile."""

from __future__ import annotations

import asyncio
import base64
import os
import queue
import socket
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

import pytest

from alexho_invoice_local.cli.client import InvoiceStreamClient
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_local.gateway.apigw_events import ApiGatewayInfo
from alexho_invoice_local.gateway.server import GatewayLimits, GatewayRoutes, WebSocketGateway
from alexho_invoice_local.tokens import LocalTokens
from alexho_invoice_runtime.definitions import SUBPROTOCOL
from tests.local import recording_routes
from tests.local.conftest import connection_ids, run, wait_until

HOST = "127.0.0.1"


def upgrade_request(port: int, protocols: str = "") -> bytes:
    """A WebSocket opening handshake request, as a browser sends it."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        "GET / HTTP/1.1",
        f"Host: {HOST}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    if protocols:
        lines.append(f"Sec-WebSocket-Protocol: {protocols}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def send_and_leave(port: int, protocols: str = "", linger_seconds: float = 0.0) -> None:
    """Open a TCP connection, send the handshake request, and close the socket without
    waiting for the answer (after ``linger_seconds``)."""
    with socket.create_connection((HOST, port), timeout=5) as sock:
        sock.sendall(upgrade_request(port, protocols))
        time.sleep(linger_seconds)


@pytest.fixture
def recorded() -> Iterator[None]:
    """Empty records and a held ``$connect`` for each test."""
    for records in (recording_routes.CONNECTS, recording_routes.DISCONNECTS):
        while not records.empty():
            records.get_nowait()
    recording_routes.RELEASE.clear()
    yield
    recording_routes.RELEASE.set()


@asynccontextmanager
async def gateway_with_slow_connect() -> AsyncIterator[tuple[WebSocketGateway, int]]:
    """A gateway whose ``$connect`` waits for the test, and whose ``$disconnect`` records."""
    with ThreadPoolExecutor(4) as executor:
        gateway = WebSocketGateway(
            ApiGatewayInfo("eu-west-1", "123456789012", "apiid", "test"),
            GatewayRoutes(
                authorizer=None,
                connect=recording_routes.recording_function("slow_connect"),
                disconnect=recording_routes.recording_function("record_disconnect"),
                messages={},
            ),
            GatewayLimits(
                max_message_bytes=128 * 1024, idle_timeout_seconds=60, max_connection_seconds=60
            ),
            executor,
        )
        port = await gateway.start(HOST, 0)
        try:
            yield gateway, port
        finally:
            recording_routes.RELEASE.set()
            await gateway.stop()


def next_record(records: queue.Queue[Any]) -> Any:
    return records.get(timeout=5)


@pytest.mark.usefixtures("recorded")
def test_a_client_that_leaves_while_connect_runs_gets_its_disconnect() -> None:
    async def scenario() -> tuple[str, dict[str, Any]]:
        async with gateway_with_slow_connect() as (_, port):
            # GIVEN a handshake whose $connect is running
            leaving = asyncio.create_task(asyncio.to_thread(send_and_leave, port))
            connection_id = await asyncio.to_thread(next_record, recording_routes.CONNECTS)
            # WHEN the client closes its socket before the 101, and then $connect succeeds
            await leaving
            await asyncio.sleep(0.2)
            recording_routes.RELEASE.set()
            # THEN $disconnect runs for that connection, as after a lost connection
            context = await asyncio.to_thread(next_record, recording_routes.DISCONNECTS)
            return connection_id, context

    connection_id, context = asyncio.run(scenario())
    assert context["connectionId"] == connection_id
    assert context["disconnectStatusCode"] == 1006


@pytest.mark.usefixtures("recorded")
def test_a_handshake_cut_short_by_stopping_gets_its_disconnect() -> None:
    async def scenario() -> tuple[str, list[dict[str, Any]]]:
        async with gateway_with_slow_connect() as (gateway, port):
            # GIVEN a client waiting for its 101 while $connect runs
            waiting = socket.create_connection((HOST, port), timeout=5)
            waiting.sendall(upgrade_request(port))
            connection_id = await asyncio.to_thread(next_record, recording_routes.CONNECTS)
            # WHEN the gateway stops (releasing $connect as it does)
            recording_routes.RELEASE.set()
            await gateway.stop()
            waiting.close()
        # THEN that connection got exactly one $disconnect
        records = recording_routes.DISCONNECTS
        return connection_id, [records.get_nowait() for _ in range(records.qsize())]

    connection_id, contexts = asyncio.run(scenario())
    assert [context["connectionId"] for context in contexts] == [connection_id]


def test_clients_that_leave_mid_handshake_leave_no_connection_rows(
    endpoints: StackEndpoints, tokens: LocalTokens, dynamodb: Any
) -> None:
    port = int(endpoints.websocket_url.rsplit(":", 1)[1])
    before = connection_ids(dynamodb, endpoints)
    protocols = f"{SUBPROTOCOL}, {tokens.customer('cust-77')}"
    # GIVEN the full stack (authorizer and $connect write a row for each accepted handshake)
    # WHEN 20 real clients send their handshake and close the TCP socket 0 to 95 ms later,
    # before the authorizer and $connect are done
    with ThreadPoolExecutor(20) as clients:
        list(
            clients.map(
                lambda index: send_and_leave(port, protocols, linger_seconds=index * 0.005),
                range(20),
            )
        )
    # AND a client that connects after them and leaves normally has had its $disconnect
    run(client_that_leaves(endpoints.websocket_url, tokens.customer("cust-77")))
    # THEN every row $connect wrote is deleted by its $disconnect
    assert wait_until(lambda: connection_ids(dynamodb, endpoints) == before, timeout=10)


async def client_that_leaves(url: str, token: str) -> None:
    async with InvoiceStreamClient(url, token):
        pass
