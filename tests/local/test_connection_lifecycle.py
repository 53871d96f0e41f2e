"""Connection rows follow the connections: ``$disconnect`` removes them, and a client that
vanished without one is cleaned up by the next fan-out (410 GoneException)."""

from __future__ import annotations

from typing import Any

from alexho_invoice_local.cli.client import InvoiceStreamClient
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_local.stack import LocalStack
from alexho_invoice_local.tokens import LocalTokens
from alexho_invoice_publisher import InvoiceEventPublisher
from tests.local.conftest import connection_ids, publish, run, wait_until


def test_closing_the_connection_removes_its_row(
    endpoints: StackEndpoints, tokens: LocalTokens, dynamodb: Any
) -> None:
    async def scenario() -> set[str]:
        async with InvoiceStreamClient(endpoints.websocket_url, tokens.customer("cust-5")):
            return connection_ids(dynamodb, endpoints)

    before = connection_ids(dynamodb, endpoints)
    # GIVEN a connection whose row was written
    during = run(scenario())
    (opened,) = during - before
    # WHEN the client closed it THEN $disconnect deletes the row
    assert wait_until(lambda: opened not in connection_ids(dynamodb, endpoints))


def test_a_vanished_client_is_cleaned_up_by_the_next_fan_out(
    stack: LocalStack,
    endpoints: StackEndpoints,
    tokens: LocalTokens,
    publisher: InvoiceEventPublisher,
    dynamodb: Any,
) -> None:
    async def scenario() -> str:
        known = set(stack.open_connection_ids())
        async with InvoiceStreamClient(endpoints.websocket_url, tokens.admin("stays")) as stays:
            known |= set(stack.open_connection_ids())
            async with InvoiceStreamClient(endpoints.websocket_url, tokens.admin("vanishes")):
                (vanished,) = set(stack.open_connection_ids()) - known
                # GIVEN a client whose TCP connection dropped and whose $disconnect got lost
                stack.drop_without_disconnect(vanished)
                assert vanished in connection_ids(dynamodb, endpoints)
                # WHEN the next event is fanned out to its audience
                published = publish(publisher, "INVOICE_CREATED", "cust-5", "DRAFT")
                # THEN the connection still open receives it
                received = await stays.wait_for_events(1, 5)
                assert [event["id"] for event in received] == [published.event_id]
        return vanished

    vanished = run(scenario())
    # AND the post to the vanished one got 410, which deleted its row
    assert wait_until(lambda: vanished not in connection_ids(dynamodb, endpoints))
