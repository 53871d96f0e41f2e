"""The security findings of issue 21, each closed: connects racing a revocation leave nothing
open, an expired connection is closed on its next message (``ping`` too), only the probe's own
shape is a probe, and ``sub`` has one length limit everywhere."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from alexho_invoice_publisher import AccessRevoker
from alexho_invoice_runtime.contract import (
    PROBE_CONNECTION_ATTRIBUTE,
    build_event,
    build_probe_event,
    encode_event,
)
from alexho_invoice_runtime.definitions import CONNECTION_ID, MAX_SUBJECT_LENGTH
from alexho_invoice_runtime.fanout.sns_records import MalformedEventError
from alexho_invoice_runtime.handlers import connect, default
from alexho_invoice_runtime.revocations import customer_key, revocation_item
from tests.runtime.conftest import AwsTables
from tests.runtime.events import (
    authorizer_event,
    connect_event,
    message_event,
    new_connection_id,
    token_query,
    token_times,
)
from tests.runtime.fake_management_api import ManagementEndpoint
from tests.runtime.fanout_support import add_connections, admin, customer, invoke
from tests.runtime.token_factory import claims, hs256

CUSTOMER_ID = "cust-42"


def customer_context(issued_at: int) -> dict[str, str]:
    """The authorizer context of a customer token issued at ``issued_at`` (an Allow)."""
    return {
        "sub": "portal-user",
        "userType": "CUSTOMER",
        "customerId": CUSTOMER_ID,
        "audience": f"CUSTOMER#{CUSTOMER_ID}",
        **token_times(issued_at=issued_at),
    }


def access_revoker(
    aws: AwsTables,
    endpoint: ManagementEndpoint,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> AccessRevoker:
    """The publisher SDK's revoker on the test's tables and Management API."""
    return AccessRevoker(
        revocations_table=aws.revocations.name,
        connections_table=aws.connections.name,
        callback_url=endpoint.url,
        dynamodb_client=boto3.client("dynamodb"),
        management_client=boto3.client("apigatewaymanagementapi", endpoint_url=endpoint.url),
        clock=clock,
        settle_seconds=0.01,
        sleep=sleep,
    )


def row(aws: AwsTables, connection_id: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = aws.connections.get_item(
        Key={CONNECTION_ID: connection_id}, ConsistentRead=True
    ).get("Item")
    return item


@pytest.mark.usefixtures("management_endpoint")
def test_a_connect_whose_identity_was_revoked_after_the_authorizer_ran_is_refused(
    aws: AwsTables,
) -> None:
    # GIVEN a connect that passed the authorizer, then a revocation of its customer
    issued_at = int(time.time())
    connection_id = new_connection_id()
    aws.revocations.put_item(Item=revocation_item(customer_key(CUSTOMER_ID), issued_at))
    # WHEN $connect writes its row
    response = connect.handler(connect_event(connection_id, customer_context(issued_at)), None)
    # THEN it re-reads the revocations, refuses the connect and leaves no row
    assert response["statusCode"] == 403
    assert row(aws, connection_id) is None


def test_connects_racing_a_revocation_leave_no_connection_open(
    aws: AwsTables, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN sixteen connects of a customer that all passed the authorizer
    issued_at = int(time.time())
    ids = [new_connection_id() for _ in range(16)]
    answers: dict[str, int] = {}
    revoker = access_revoker(aws, management_endpoint, clock=lambda: issued_at)

    def open_connection(connection_id: str) -> None:
        event = connect_event(connection_id, customer_context(issued_at))
        answers[connection_id] = connect.handler(event, None)["statusCode"]

    threads = [threading.Thread(target=open_connection, args=(cid,)) for cid in ids]
    # WHEN the customer is revoked while they write their rows
    for thread in threads[:8]:
        thread.start()
    revoker.revoke_customer(CUSTOMER_ID)
    for thread in threads[8:]:
        thread.start()
    for thread in threads:
        thread.join(30)
    # THEN every connect was either refused or closed by the revoker, and no row is left
    accepted = {cid for cid, status in answers.items() if status == 200}
    assert accepted <= set(management_endpoint.deleted)
    assert [cid for cid in ids if row(aws, cid) is not None] == []
    assert len(answers) == len(ids)


def test_a_connection_the_index_shows_only_after_the_first_look_is_closed_too(
    aws: AwsTables, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN a customer connection that the index shows only after the revoker's first look
    # (a global secondary index lags its table by a moment)
    late: list[str] = []

    def settle(_: float) -> None:
        late.extend(add_connections(aws.connections, [customer(CUSTOMER_ID)]))

    # WHEN the customer is revoked
    result = access_revoker(aws, management_endpoint, sleep=settle).revoke_customer(CUSTOMER_ID)
    # THEN the second look finds that connection and closes it
    assert result.disconnected == 1
    assert management_endpoint.deleted == late
    assert row(aws, late[0]) is None


def test_an_expired_connection_is_closed_on_its_next_ping(
    aws: AwsTables, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN a connection whose token expired two minutes ago (beyond the 30 s leeway)
    now = int(time.time())
    (connection_id,) = add_connections(
        aws.connections, [admin()], token_issued_at=now - 600, token_expires_at=now - 120
    )
    # WHEN it pings
    default.handler(message_event(connection_id, json.dumps({"action": "ping"})), None)
    # THEN no pong: the connection is closed and its row removed
    assert management_endpoint.messages_for(connection_id) == []
    assert management_endpoint.deleted == [connection_id]
    assert row(aws, connection_id) is None


def test_a_message_with_the_probe_attribute_but_invoice_data_is_dead_lettered(
    aws: AwsTables, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN a customer's connection, and another customer's draft invoice addressed to it
    [target] = add_connections(aws.connections, [customer(CUSTOMER_ID)])
    draft = build_event(
        "INVOICE_CREATED", "inv-9", "cust-7", {"status": "DRAFT", "total": "9.99"}, source="x"
    )
    forged = {**draft, PROBE_CONNECTION_ATTRIBUTE: target}
    # WHEN it is published THEN the fan-out refuses it (on-failure queue) and posts nothing
    with pytest.raises(MalformedEventError, match="must be a probe"):
        invoke(encode_event(forged))
    assert management_endpoint.recipients() == []


def test_the_checks_own_probe_still_reaches_its_connection(
    aws: AwsTables, management_endpoint: ManagementEndpoint
) -> None:
    [target] = add_connections(aws.connections, [customer("alexho-check-1")])
    invoke(build_probe_event(target, "alexho-check-1", source="alexho-realtime-check"))
    assert management_endpoint.recipients() == [target]


@pytest.mark.usefixtures("hs256_auth")
@pytest.mark.parametrize(
    ("length", "effect"), [(MAX_SUBJECT_LENGTH, "Allow"), (MAX_SUBJECT_LENGTH + 1, "Deny")]
)
def test_the_authorizer_takes_a_sub_exactly_as_long_as_revocation_does(
    length: int, effect: str
) -> None:
    from alexho_invoice_runtime.handlers.authorizer import handler

    # GIVEN a token whose sub has the given length
    token = hs256(claims("ADMIN", None, sub="s" * length))
    # WHEN it connects THEN only a sub that revoke_subject accepts gets in
    response = handler(authorizer_event(query=token_query(token)), None)
    assert response["policyDocument"]["Statement"][0]["Effect"] == effect


def test_a_sub_of_the_longest_length_can_be_revoked(
    aws: AwsTables, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN a connection of an admin whose sub has the longest accepted length
    sub = "s" * MAX_SUBJECT_LENGTH
    (connection_id,) = add_connections(aws.connections, [admin(sub)])
    revoker = access_revoker(aws, management_endpoint)
    # WHEN the subject is revoked THEN its connection is closed
    assert revoker.revoke_subject(sub).disconnected == 1
    assert management_endpoint.deleted == [connection_id]
