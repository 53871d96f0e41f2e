"""``$connect``: the row comes from the authorizer's context only, with its TTL; the subprotocol
(never the token) is echoed; a missing or forged context stores nothing."""

from __future__ import annotations

from typing import Any

import pytest

from alexho_invoice_runtime.connections import expires_at
from alexho_invoice_runtime.definitions import (
    CONNECTION_TTL_SLACK_SECONDS,
    MAX_CONNECTION_SECONDS,
    SUBPROTOCOL,
)
from alexho_invoice_runtime.handlers import authorizer, connect
from tests.runtime.conftest import AwsTables
from tests.runtime.events import (
    authorizer_context_from,
    authorizer_event,
    browser_protocol_header,
    connect_event,
    new_connection_id,
    token_times,
)
from tests.runtime.token_factory import claims, hs256

ADMIN_CONTEXT = {
    "sub": "admin-1",
    "userType": "ADMIN",
    "customerId": "",
    "audience": "ADMIN",
    "principalId": "admin-1",
    **token_times(),
}
CUSTOMER_CONTEXT = {
    "sub": "user-7",
    "userType": "CUSTOMER",
    "customerId": "cust-42",
    "audience": "CUSTOMER#cust-42",
    "principalId": "user-7",
    **token_times(issued_at=1_800_000_000, lifetime=900),
}


def row(aws: AwsTables, connection_id: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = aws.connections.get_item(Key={"connectionId": connection_id}).get(
        "Item"
    )
    return item


def test_connection_row_holds_the_authorizer_identity_and_a_ttl(aws: AwsTables) -> None:
    # GIVEN a $connect event authorized for a customer
    connection_id = new_connection_id()
    event = connect_event(connection_id, CUSTOMER_CONTEXT)
    connected_at = event["requestContext"]["connectedAt"]
    # WHEN $connect runs
    response = connect.handler(event, None)
    # THEN the row holds the identity, the connection time and the TTL after API Gateway's 2 h
    assert response["statusCode"] == 200
    assert row(aws, connection_id) == {
        "connectionId": connection_id,
        "audience": "CUSTOMER#cust-42",
        "userType": "CUSTOMER",
        "customerId": "cust-42",
        "sub": "user-7",
        "connectedAt": connected_at,
        "expiresAt": connected_at // 1000 + MAX_CONNECTION_SECONDS + CONNECTION_TTL_SLACK_SECONDS,
        "tokenIssuedAt": 1_800_000_000,
        "tokenExpiresAt": 1_800_000_900,
    }


def test_ttl_is_two_hours_plus_slack_after_connecting() -> None:
    assert expires_at(1_700_000_000_999) == 1_700_000_000 + 2 * 3600 + CONNECTION_TTL_SLACK_SECONDS


@pytest.mark.usefixtures("aws")
def test_offered_subprotocol_is_echoed_without_the_token() -> None:
    # GIVEN a browser that offered "alexho-invoice.v1, <token>"
    token = hs256(claims())
    event = connect_event(
        new_connection_id(), ADMIN_CONTEXT, protocol_header=browser_protocol_header(token)
    )
    # WHEN $connect runs
    response = connect.handler(event, None)
    # THEN exactly the subprotocol is echoed back
    assert response["headers"] == {"Sec-WebSocket-Protocol": SUBPROTOCOL}
    assert token not in repr(response)


@pytest.mark.usefixtures("aws")
def test_no_subprotocol_header_when_none_was_offered() -> None:
    response = connect.handler(connect_event(new_connection_id(), ADMIN_CONTEXT), None)
    assert response == {"statusCode": 200}


@pytest.mark.parametrize(
    "context",
    [
        pytest.param(None, id="missing"),
        pytest.param({}, id="empty"),
        pytest.param({**ADMIN_CONTEXT, "userType": "ROOT"}, id="bad-userType"),
        pytest.param({**CUSTOMER_CONTEXT, "customerId": ""}, id="customer-without-id"),
        pytest.param({**CUSTOMER_CONTEXT, "audience": "ADMIN"}, id="customer-claiming-admin"),
        pytest.param({**ADMIN_CONTEXT, "audience": "CUSTOMER#x"}, id="audience-mismatch"),
        pytest.param({**ADMIN_CONTEXT, "sub": ""}, id="no-sub"),
    ],
)
def test_missing_or_inconsistent_authorizer_context_is_refused(
    aws: AwsTables, context: dict[str, Any] | None
) -> None:
    # GIVEN a $connect event whose authorizer context is missing or inconsistent
    connection_id = new_connection_id()
    # WHEN $connect runs
    response = connect.handler(connect_event(connection_id, context), None)
    # THEN it answers 403 and stores nothing
    assert response["statusCode"] == 403
    assert row(aws, connection_id) is None


@pytest.mark.usefixtures("hs256_auth")
def test_customer_token_never_becomes_an_admin_connection(aws: AwsTables) -> None:
    # GIVEN a customer whose token is verified by the real authorizer
    token = hs256(claims("CUSTOMER", "cust-42", sub="user-7"))
    connection_id = new_connection_id()
    allowed = authorizer.handler(
        authorizer_event(
            protocol_header=browser_protocol_header(token), connection_id=connection_id
        ),
        None,
    )
    # WHEN the $connect request also claims to be an admin everywhere the client controls
    event = connect_event(
        connection_id,
        authorizer_context_from(allowed),
        protocol_header=browser_protocol_header(token),
        query={"userType": "ADMIN", "audience": "ADMIN", "customerId": "cust-1"},
    )
    event["headers"].update({"userType": "ADMIN", "audience": "ADMIN"})
    event["body"] = '{"userType":"ADMIN"}'
    connect.handler(event, None)
    # THEN the stored connection is the customer's, in the customer's audience
    stored = row(aws, connection_id)
    assert stored is not None
    assert (stored["userType"], stored["audience"]) == ("CUSTOMER", "CUSTOMER#cust-42")
