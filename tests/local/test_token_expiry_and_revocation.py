"""Connections end with their token, with real clients on the local stack: no event after
expiry (the connection is closed), ``refresh`` keeps events flowing, and revoking a customer
or a subject closes its connections at once and refuses its older tokens."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from alexho_invoice_local.cli.client import InvoiceStreamClient, StreamClosedError
from alexho_invoice_local.cli.main import main
from alexho_invoice_local.cli.revoke import local_revoker
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_local.settings import StackSettings
from alexho_invoice_local.tokens import LocalTokens
from alexho_invoice_publisher import InvoiceEventPublisher
from alexho_invoice_runtime.definitions import SUBPROTOCOL, Env
from tests.local.conftest import publish, run
from tests.local.test_connect_auth import refused_status

#: Lifetime of the short tokens these tests let expire.
SHORT_TTL_SECONDS = 5


@pytest.fixture(scope="module")
def stack_settings() -> StackSettings:
    """No clock-skew leeway, so a token expires exactly at its ``exp``."""
    return StackSettings(
        websocket_port=0,
        management_port=0,
        moto_port=0,
        retry_delays_seconds=(0.1, 0.2),
        extra_lambda_env={Env.AUTH_LEEWAY: "0"},
    )


@pytest.fixture(scope="module")
def short_tokens(endpoints: StackEndpoints) -> LocalTokens:
    return LocalTokens(endpoints, ttl_seconds=SHORT_TTL_SECONDS)


async def closed_within(client: InvoiceStreamClient, seconds: float) -> bool:
    """Whether the server closes ``client`` within ``seconds`` (frames before are skipped)."""
    try:
        async with asyncio.timeout(seconds):
            while True:
                await client.next_frame(seconds)
    except StreamClosedError:
        return True
    except TimeoutError:
        return False


def audience_rows(dynamodb: Any, endpoints: StackEndpoints, audience: str) -> list[Any]:
    """Connection rows of ``audience`` (a test-side scan of the small local table)."""
    items: list[Any] = dynamodb.scan(TableName=endpoints.connections_table)["Items"]
    return [item for item in items if item["audience"]["S"] == audience]


async def sleep_past(epoch_seconds: float) -> None:
    """Sleep until the wall clock is past ``epoch_seconds``."""
    await asyncio.sleep(max(0.0, epoch_seconds - time.time()) + 0.2)


def test_no_event_is_delivered_after_expiry_and_the_connection_is_closed(
    endpoints: StackEndpoints,
    tokens: LocalTokens,
    short_tokens: LocalTokens,
    publisher: InvoiceEventPublisher,
    dynamodb: Any,
) -> None:
    async def scenario() -> tuple[list[str], list[str], bool, str]:
        # GIVEN two users of a customer: one with a short-lived token, one with a 10-minute one
        expires_at = int(time.time()) + SHORT_TTL_SECONDS
        async with (
            InvoiceStreamClient(
                endpoints.websocket_url, short_tokens.customer("cust-61", "user-61a")
            ) as short,
            InvoiceStreamClient(
                endpoints.websocket_url, tokens.customer("cust-61", "user-61b")
            ) as control,
        ):
            # WHEN an event for the customer is published after the short token expired
            await sleep_past(expires_at + 1)
            event_id = publish(publisher, "INVOICE_SENT", "cust-61", "SENT", "inv-61").event_id
            # THEN the other user receives it, while the expired connection is closed instead
            received = await control.wait_for_events(1, 20)
            closed = await closed_within(short, 20)
            return [e["id"] for e in short.events], [e["id"] for e in received], closed, event_id

    expired_received, control_received, closed, event_id = run(scenario())
    assert control_received == [event_id]
    assert closed
    assert expired_received == []
    # AND its row is gone, the other user's stays until it disconnects
    assert not any(
        row["sub"]["S"] == "user-61a"
        for row in audience_rows(dynamodb, endpoints, "CUSTOMER#cust-61")
    )


def test_refresh_keeps_events_flowing_past_the_first_tokens_expiry(
    endpoints: StackEndpoints,
    tokens: LocalTokens,
    short_tokens: LocalTokens,
    publisher: InvoiceEventPublisher,
) -> None:
    async def scenario() -> tuple[list[dict[str, Any]], list[str], list[str]]:
        # GIVEN a customer connected with a short-lived token
        expires_at = int(time.time()) + SHORT_TTL_SECONDS
        async with InvoiceStreamClient(
            endpoints.websocket_url, short_tokens.customer("cust-62", "user-62")
        ) as client:
            # WHEN it refreshes with a new token of the same identity before expiry
            await client.send({"action": "refresh", "token": tokens.customer("cust-62", "user-62")})
            reply = (await client.next_frame(20)).frame
            published = [publish(publisher, "INVOICE_SENT", "cust-62", "SENT", "inv-62").event_id]
            await sleep_past(expires_at + 1)
            published.append(
                publish(publisher, "INVOICE_PAID", "cust-62", "PAID", "inv-62").event_id
            )
            # THEN events published before and after the first token's expiry all arrive
            events = await client.wait_for_events(2, 20)
            return [reply], published, [event["id"] for event in events]

    (reply,), published, received = run(scenario())
    assert reply["type"] == "refreshed"
    assert reply["expiresAt"] > time.time() + 60
    assert sorted(received) == sorted(published)  # SNS does not order deliveries


def test_refresh_with_another_customers_token_is_refused_and_the_connection_stays(
    endpoints: StackEndpoints, tokens: LocalTokens
) -> None:
    async def scenario() -> list[dict[str, Any]]:
        async with InvoiceStreamClient(
            endpoints.websocket_url, tokens.customer("cust-63", "user-63")
        ) as client:
            other = tokens.customer("cust-64", "user-63")
            await client.send({"action": "refresh", "token": other})
            refused = (await client.next_frame(5)).frame
            await client.send({"action": "ping"})
            return [refused, (await client.next_frame(5)).frame]

    refused, pong = run(scenario())
    assert (refused["type"], refused["code"]) == ("error", "refresh-refused")
    assert pong == {"type": "pong"}


def test_revoking_a_customer_closes_its_connections_within_a_second_and_refuses_old_tokens(
    endpoints: StackEndpoints, tokens: LocalTokens, publisher: InvoiceEventPublisher
) -> None:
    old_token = tokens.customer("cust-65", "user-65")

    async def scenario() -> tuple[int, list[bool], list[str]]:
        # GIVEN two connections of the customer and one of another customer
        async with (
            InvoiceStreamClient(endpoints.websocket_url, old_token) as first,
            InvoiceStreamClient(
                endpoints.websocket_url, tokens.customer("cust-65", "user-65b")
            ) as second,
            InvoiceStreamClient(endpoints.websocket_url, tokens.customer("cust-66")) as other,
        ):
            # WHEN the customer is revoked through the publisher SDK
            result = local_revoker(endpoints).revoke_customer("cust-65")
            # THEN both of its connections are closed within a second
            closed = await asyncio.gather(closed_within(first, 1), closed_within(second, 1))
            # AND the other customer still receives its events
            event_id = publish(publisher, "INVOICE_SENT", "cust-66", "SENT", "inv-66").event_id
            received = await other.wait_for_events(1, 5)
            assert [event["id"] for event in received] == [event_id]
            return result.disconnected, list(closed), [event_id]

    disconnected, closed, _ = run(scenario())
    assert disconnected == 2
    assert closed == [True, True]
    # AND a token issued before the revocation is refused at $connect
    assert refused_status(endpoints.websocket_url, [SUBPROTOCOL, old_token]) == 403


def test_cli_revoke_subject_closes_its_connection_and_allows_newer_tokens(
    endpoints: StackEndpoints, tokens: LocalTokens, state_file: Path
) -> None:
    async def connected_then_revoked() -> bool:
        async with InvoiceStreamClient(endpoints.websocket_url, tokens.admin("admin-67")) as client:
            code = await asyncio.to_thread(
                main, ["--state-file", str(state_file), "revoke", "--subject", "admin-67"]
            )
            assert code == 0
            return await closed_within(client, 1)

    assert run(connected_then_revoked())
    # WHEN the subject gets a token minted after the revocation's second
    time.sleep(1.1)

    async def reconnect() -> str:
        async with InvoiceStreamClient(endpoints.websocket_url, tokens.admin("admin-67")) as client:
            await client.send({"action": "ping"})
            return str((await client.next_frame(5)).frame["type"])

    # THEN it connects again
    assert run(reconnect()) == "pong"
