"""``refresh`` extends a connection with a newer token of the same identity; ``resume`` and the
fan-out never deliver to a connection whose token expired or whose identity was revoked, and
close it instead."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest

from alexho_invoice_runtime.definitions import CONNECTION_ID, TOKEN_EXPIRES_AT
from alexho_invoice_runtime.handlers import default
from alexho_invoice_runtime.revocations import customer_key, revocation_item
from tests.runtime.conftest import AwsTables, LogCapture
from tests.runtime.events import message_event
from tests.runtime.fake_management_api import ManagementEndpoint
from tests.runtime.fanout_support import add_connections, admin, customer, invoice_event, invoke
from tests.runtime.token_factory import claims, hs256

pytestmark = pytest.mark.usefixtures("hs256_auth")


def send(connection_id: str, message: dict[str, Any]) -> dict[str, Any]:
    return default.handler(message_event(connection_id, json.dumps(message)), None)


def token_expiry(aws: AwsTables, connection_id: str) -> int | None:
    item = aws.connections.get_item(Key={CONNECTION_ID: connection_id}).get("Item")
    return None if item is None else int(item[TOKEN_EXPIRES_AT])


def test_refresh_with_a_token_of_the_same_identity_extends_the_connection(
    aws: AwsTables, management_endpoint: ManagementEndpoint, captured_logs: LogCapture
) -> None:
    # GIVEN a customer connection whose token expires in a minute
    now = int(time.time())
    (connection_id,) = add_connections(
        aws.connections, [customer("cust-42", "user-7")], token_expires_at=now + 60
    )
    # WHEN it sends refresh with a new token of the same identity
    # (its expiry is read from its claims: a second may have begun since ``now``)
    new_claims = claims("CUSTOMER", "cust-42", sub="user-7", lifetime=900)
    token = hs256(new_claims)
    response = send(connection_id, {"action": "refresh", "token": token})
    # THEN the row holds the new expiry and the client is told it
    assert response == {"statusCode": 200}
    assert new_claims["exp"] >= now + 900
    assert token_expiry(aws, connection_id) == new_claims["exp"]
    assert management_endpoint.messages_for(connection_id) == [
        {"type": "refreshed", "expiresAt": new_claims["exp"]}
    ]
    # AND the token never reached a log line
    assert token not in captured_logs.text


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(claims("CUSTOMER", "cust-43", sub="user-7"), id="other-customer"),
        pytest.param(claims("CUSTOMER", "cust-42", sub="user-8"), id="other-subject"),
        pytest.param(claims("ADMIN", None, sub="user-7"), id="other-user-type"),
        pytest.param(claims("CUSTOMER", "cust-42", sub="user-7", lifetime=-120), id="expired"),
        pytest.param(claims("CUSTOMER", "cust-42", sub="user-7", lifetime=86_400), id="too-long"),
    ],
)
def test_refresh_with_any_other_token_is_refused_and_the_connection_stays(
    payload: dict[str, Any],
    aws: AwsTables,
    management_endpoint: ManagementEndpoint,
    captured_logs: LogCapture,
) -> None:
    # GIVEN a live customer connection
    (connection_id,) = add_connections(aws.connections, [customer("cust-42", "user-7")])
    before = token_expiry(aws, connection_id)
    token = hs256(payload)
    # WHEN it offers a token of another identity, or one the authorizer would refuse
    response = send(connection_id, {"action": "refresh", "token": token})
    # THEN it gets refresh-refused (without the token), and keeps its row and current expiry
    assert response == {"statusCode": 200}
    (frame,) = management_endpoint.messages_for(connection_id)
    assert frame["type"] == "error"
    assert frame["code"] == "refresh-refused"
    assert token not in json.dumps(frame)
    assert token not in captured_logs.text
    assert token_expiry(aws, connection_id) == before
    assert management_endpoint.deleted == []


def test_refresh_without_a_token_is_refused(
    aws: AwsTables, management_endpoint: ManagementEndpoint
) -> None:
    (connection_id,) = add_connections(aws.connections, [admin()])
    send(connection_id, {"action": "refresh"})
    (frame,) = management_endpoint.messages_for(connection_id)
    assert frame["code"] == "refresh-refused"


def test_resume_on_an_expired_connection_closes_it_and_replays_nothing(
    aws: AwsTables, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN a connection whose token expired two minutes ago (beyond the 30 s leeway)
    now = int(time.time())
    (connection_id,) = add_connections(
        aws.connections, [admin()], token_issued_at=now - 600, token_expires_at=now - 120
    )
    # WHEN it asks to resume
    send(connection_id, {"action": "resume", "after": f"{(now - 60) * 1000:013d}.{'0' * 16}"})
    # THEN nothing is posted, the connection is closed and its row removed
    assert management_endpoint.messages_for(connection_id) == []
    assert management_endpoint.deleted == [connection_id]
    assert token_expiry(aws, connection_id) is None


def test_fan_out_skips_expired_and_revoked_connections_and_closes_them(
    aws: AwsTables, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN a live admin, an admin whose token expired, and two connections of a revoked
    # customer (one with a token issued after the revocation)
    now = int(time.time())
    (live,) = add_connections(aws.connections, [admin("admin-1")])
    (expired,) = add_connections(
        aws.connections, [admin("admin-2")], token_issued_at=now - 900, token_expires_at=now - 60
    )
    aws.revocations.put_item(Item=revocation_item(customer_key("cust-42"), now - 10))
    (revoked,) = add_connections(aws.connections, [customer("cust-42")], token_issued_at=now - 20)
    (reissued,) = add_connections(aws.connections, [customer("cust-42")], token_issued_at=now)
    # WHEN an event of that customer is fanned out
    totals = invoke(invoice_event("cust-42"))
    # THEN only the live connections receive it; the others are closed and counted
    assert set(management_endpoint.recipients()) == {live, reissued}
    assert sorted(management_endpoint.deleted) == sorted([expired, revoked])
    assert totals["expired"] == 1
    assert totals["revoked"] == 1
    assert token_expiry(aws, expired) is None
    assert token_expiry(aws, revoked) is None


def test_refresh_when_the_key_cannot_be_read_is_an_internal_error_without_the_token(
    aws: AwsTables,
    hs256_auth: str,
    management_endpoint: ManagementEndpoint,
    captured_logs: LogCapture,
) -> None:
    # GIVEN a live connection, and the signing secret gone (a deployment fault)
    (connection_id,) = add_connections(aws.connections, [admin("admin-1")])
    boto3.client("secretsmanager").delete_secret(
        SecretId=hs256_auth, ForceDeleteWithoutRecovery=True
    )
    token = hs256(claims("ADMIN", None, sub="admin-1"))
    # WHEN it refreshes
    response = send(connection_id, {"action": "refresh", "token": token})
    # THEN the client gets internal-error, the failure is logged, and the token is nowhere
    assert response == {"statusCode": 500}
    (frame,) = management_endpoint.messages_for(connection_id)
    assert frame["code"] == "internal-error"
    assert "refresh token verification failed" in captured_logs.text
    assert token not in captured_logs.text
