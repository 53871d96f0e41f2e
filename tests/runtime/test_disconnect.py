"""``$disconnect`` deletes the connection row, and deleting twice is fine."""

from __future__ import annotations

from alexho_invoice_runtime.handlers import connect, disconnect
from tests.runtime.conftest import AwsTables
from tests.runtime.events import (
    connect_event,
    disconnect_event,
    new_connection_id,
    token_times,
)

CONTEXT = {
    "sub": "admin-1",
    "userType": "ADMIN",
    "customerId": "",
    "audience": "ADMIN",
    **token_times(),
}


def stored(aws: AwsTables, connection_id: str) -> bool:
    return "Item" in aws.connections.get_item(Key={"connectionId": connection_id})


def test_disconnect_deletes_the_row(aws: AwsTables) -> None:
    # GIVEN a connected client
    connection_id = new_connection_id()
    connect.handler(connect_event(connection_id, CONTEXT), None)
    assert stored(aws, connection_id)
    # WHEN it disconnects
    response = disconnect.handler(disconnect_event(connection_id, CONTEXT), None)
    # THEN its row is gone
    assert response == {"statusCode": 200}
    assert not stored(aws, connection_id)


def test_disconnect_leaves_other_connections(aws: AwsTables) -> None:
    first, second = new_connection_id(), new_connection_id()
    for connection_id in (first, second):
        connect.handler(connect_event(connection_id, CONTEXT), None)
    disconnect.handler(disconnect_event(first), None)
    assert stored(aws, second)


def test_disconnecting_twice_is_fine(aws: AwsTables) -> None:
    # GIVEN a connection already disconnected (or never stored)
    connection_id = new_connection_id()
    connect.handler(connect_event(connection_id, CONTEXT), None)
    disconnect.handler(disconnect_event(connection_id), None)
    # WHEN $disconnect runs again THEN it succeeds and nothing is stored
    assert disconnect.handler(disconnect_event(connection_id), None) == {"statusCode": 200}
    assert not stored(aws, connection_id)
