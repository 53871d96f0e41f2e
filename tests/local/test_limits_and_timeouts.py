"""API Gateway's limits, enforced by the gateway: 128 KB messages (1009), the idle timeout and
the maximum connection age (1001 "Going away"), each followed by ``$disconnect``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from alexho_invoice_local.cli.client import InvoiceStreamClient, StreamClosedError
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_local.settings import StackSettings
from alexho_invoice_local.stack import LocalStack
from alexho_invoice_local.tokens import LocalTokens
from alexho_invoice_runtime.definitions import MAX_MESSAGE_BYTES
from tests.local.conftest import connection_ids, run, wait_until

IDLE_SECONDS = 1.0
MAX_AGE_SECONDS = 2.5


@pytest.fixture(scope="module")
def stack_settings() -> StackSettings:
    return StackSettings(
        websocket_port=0,
        management_port=0,
        moto_port=0,
        idle_timeout_seconds=IDLE_SECONDS,
        max_connection_seconds=MAX_AGE_SECONDS,
    )


def new_row(dynamodb: Any, endpoints: StackEndpoints, before: set[str]) -> str:
    (row,) = connection_ids(dynamodb, endpoints) - before
    return row


async def keep_pinging(client: InvoiceStreamClient) -> None:
    """Ping four times per idle timeout, for ever (until the connection closes)."""
    while True:
        await client.send({"action": "ping"})
        frame = await client.next_frame(IDLE_SECONDS)
        assert frame.frame == {"type": "pong"}
        await asyncio.sleep(IDLE_SECONDS / 4)


def test_a_message_over_128_kb_closes_the_connection_with_1009(
    stack: LocalStack, endpoints: StackEndpoints, tokens: LocalTokens, dynamodb: Any
) -> None:
    async def scenario() -> tuple[int | None, str]:
        async with InvoiceStreamClient(endpoints.websocket_url, tokens.admin()) as client:
            row = new_row(dynamodb, endpoints, before)
            # WHEN the client sends one byte more than API Gateway accepts
            await client.websocket.send("x" * (MAX_MESSAGE_BYTES + 1))
            with pytest.raises(StreamClosedError) as closed:
                await client.next_frame(5)
            return closed.value.code, row

    before = connection_ids(dynamodb, endpoints)
    code, row = run(scenario())
    # THEN the gateway closes with 1009 (message too big) and $disconnect removes the row
    assert code == 1009
    assert wait_until(lambda: row not in connection_ids(dynamodb, endpoints))


def test_a_message_within_the_limit_reaches_the_default_route(
    endpoints: StackEndpoints, tokens: LocalTokens
) -> None:
    async def scenario() -> dict[str, Any]:
        async with InvoiceStreamClient(endpoints.websocket_url, tokens.admin()) as client:
            await client.send({"action": "ping", "padding": "x" * (64 * 1024)})
            return (await client.next_frame(5)).frame

    # THEN $default answers the (valid, if padded) ping over the Management API
    assert run(scenario()) == {"type": "pong"}


@dataclass(frozen=True)
class Closure:
    """How and when the gateway closed a connection, and the row the connection had."""

    error: StreamClosedError
    after_seconds: float
    row: str


def watch_until_closed(
    endpoints: StackEndpoints,
    tokens: LocalTokens,
    dynamodb: Any,
    behave: Callable[[InvoiceStreamClient], Awaitable[object]],
) -> Closure:
    """Connect, let the client ``behave`` until the gateway closes the connection."""

    async def scenario() -> Closure:
        before = connection_ids(dynamodb, endpoints)
        async with InvoiceStreamClient(endpoints.websocket_url, tokens.admin()) as client:
            row = new_row(dynamodb, endpoints, before)
            started = time.monotonic()
            with pytest.raises(StreamClosedError) as closed:
                await behave(client)
            return Closure(closed.value, time.monotonic() - started, row)

    return run(scenario())


def test_an_idle_connection_is_closed_with_1001_going_away_and_disconnected(
    endpoints: StackEndpoints, tokens: LocalTokens, dynamodb: Any
) -> None:
    # GIVEN a client that sends nothing
    closure = watch_until_closed(
        endpoints, tokens, dynamodb, lambda client: client.next_frame(MAX_AGE_SECONDS * 2)
    )
    # THEN the gateway closes it after the idle timeout, like API Gateway, and runs $disconnect
    assert (closure.error.code, closure.error.reason) == (1001, "Going away")
    assert IDLE_SECONDS * 0.9 <= closure.after_seconds < MAX_AGE_SECONDS
    assert wait_until(lambda: closure.row not in connection_ids(dynamodb, endpoints))


def test_a_busy_connection_is_closed_at_the_maximum_age_and_disconnected(
    endpoints: StackEndpoints, tokens: LocalTokens, dynamodb: Any
) -> None:
    # GIVEN a client that pings more often than the idle timeout
    closure = watch_until_closed(endpoints, tokens, dynamodb, keep_pinging)
    # THEN it is still closed when it reaches the maximum age, with 1001
    assert (closure.error.code, closure.error.reason) == (1001, "Going away")
    assert MAX_AGE_SECONDS * 0.9 <= closure.after_seconds < MAX_AGE_SECONDS + 1
    assert wait_until(lambda: closure.row not in connection_ids(dynamodb, endpoints))
