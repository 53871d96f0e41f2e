"""Property: over random connections and event sequences, the real handler delivers every
event to exactly the connections allowed to see it (docs/architecture.md §3), and nothing
to a connection whose token expired or whose identity was revoked."""

from __future__ import annotations

import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alexho_invoice_runtime.auth.identity import Identity
from alexho_invoice_runtime.contract import EventType, InvoiceEvent, status_values
from alexho_invoice_runtime.definitions import CONNECTION_ID
from alexho_invoice_runtime.revocations import customer_key, revocation_item, subject_key
from tests.runtime.conftest import AwsTables
from tests.runtime.fake_management_api import ManagementEndpoint
from tests.runtime.fanout_support import add_connections, admin, customer, invoice_event, invoke

CUSTOMER_IDS = ("cust-1", "cust-2", "cust-3")

identities = st.one_of(
    st.builds(admin, st.sampled_from(["admin-a", "admin-b"])),
    st.builds(customer, st.sampled_from(CUSTOMER_IDS)),
)
events = st.builds(
    invoice_event,
    customer_id=st.sampled_from(CUSTOMER_IDS),
    status=st.sampled_from(status_values()),
    event_type=st.sampled_from([str(t) for t in EventType]),
    invoice_id=st.sampled_from(["inv-1", "inv-2", "inv-3"]),
)


def allowed(identity: Identity, event: InvoiceEvent) -> bool:
    """The rule, restated independently of the code under test."""
    if identity.user_type == "ADMIN":
        return True
    return identity.customer_id == event["customerid"] and event["data"]["status"] != "DRAFT"


def clear_connections(aws: AwsTables) -> None:
    """Remove every connection row left by a previous example."""
    items: list[dict[str, Any]] = aws.connections.scan()["Items"]
    with aws.connections.batch_writer() as batch:
        for item in items:
            batch.delete_item(Key={CONNECTION_ID: item[CONNECTION_ID]})


@settings(
    max_examples=40,
    deadline=None,
    # The moto session and the endpoint are shared by all examples; each example starts by
    # clearing the connection rows and the endpoint's records.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    connections=st.lists(identities, min_size=1, max_size=8),
    sequence=st.lists(events, min_size=1, max_size=5),
)
def test_each_connection_receives_exactly_the_events_it_may_see(
    aws: AwsTables,
    management_endpoint: ManagementEndpoint,
    connections: list[Identity],
    sequence: list[InvoiceEvent],
) -> None:
    # GIVEN a random set of admin and customer connections
    clear_connections(aws)
    management_endpoint.clear()
    ids = add_connections(aws.connections, connections)
    # WHEN a random sequence of events is published, one SNS notification each
    for event in sequence:
        invoke(event)
    # THEN every connection received exactly the events it may see, once each, in order
    for connection_id, identity in zip(ids, connections, strict=True):
        received = [frame["event"] for frame in management_endpoint.messages_for(connection_id)]
        assert received == [event for event in sequence if allowed(identity, event)]
    # AND nothing went to any other connection id
    assert set(management_endpoint.recipients()) <= set(ids)


#: How a connection's token stands when events arrive.
TOKEN_STATES = ("live", "expired", "customer-revoked", "subject-revoked")


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    connections=st.lists(
        st.tuples(identities, st.sampled_from(TOKEN_STATES)), min_size=1, max_size=6
    ),
    sequence=st.lists(events, min_size=1, max_size=3),
)
def test_no_event_reaches_an_expired_or_revoked_connection(
    aws: AwsTables,
    management_endpoint: ManagementEndpoint,
    connections: list[tuple[Identity, str]],
    sequence: list[InvoiceEvent],
) -> None:
    # GIVEN connections whose tokens are live, expired beyond the leeway, or issued before a
    # revocation of their customer or subject
    clear_connections(aws)
    clear_revocations(aws)
    management_endpoint.clear()
    now = int(time.time())
    ids = []
    for identity, state in connections:
        expires = now - 120 if state == "expired" else now + 600
        ids += add_connections(
            aws.connections, [identity], token_issued_at=now - 300, token_expires_at=expires
        )
        if state == "customer-revoked" and identity.customer_id:
            revoke(aws, customer_key(identity.customer_id), now - 60)
        elif state != "live" and state != "expired":
            revoke(aws, subject_key(identity.sub), now - 60)
    # WHEN the events are fanned out
    for event in sequence:
        invoke(event)
    # THEN a connection receives events only if neither its token expired nor its customer or
    # subject was revoked (by itself or by another connection's revocation), and then exactly
    # the events it may see
    revoked = {
        item["revocationKey"] for item in aws.revocations.scan()["Items"]
    }  # a test-side check of the whole (tiny) table
    for connection_id, (identity, state) in zip(ids, connections, strict=True):
        keys = {subject_key(identity.sub)} | (
            {customer_key(identity.customer_id)} if identity.customer_id else set()
        )
        live = state != "expired" and not keys & revoked
        received = [frame["event"] for frame in management_endpoint.messages_for(connection_id)]
        expected = [event for event in sequence if allowed(identity, event)] if live else []
        assert received == expected


def clear_revocations(aws: AwsTables) -> None:
    """Remove every revocation left by a previous example."""
    for item in aws.revocations.scan()["Items"]:
        aws.revocations.delete_item(Key={"revocationKey": item["revocationKey"]})


def revoke(aws: AwsTables, key: str, revoked_at: int) -> None:
    """Record a revocation as the publisher SDK does."""
    aws.revocations.put_item(Item=revocation_item(key, revoked_at))
