"""Round trip with the runtime: what the publisher emits is what the fan-out handler delivers,
and a token it mints is what the authorizer accepts.

One moto session holds the topic with an SQS subscriber, both DynamoDB tables (from
``alexho_invoice_runtime.definitions``) and the signing key secret; the ``@connections``
Management API is the loopback server of the runtime tests, which verifies the fan-out's SigV4
signatures.
The SNS notification the subscriber receives is wrapped as the SNS Lambda event and handed to
the deployed handler, as Lambda would.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from alexho_invoice_local.aws.sns_events import parse_notification, sns_lambda_event
from alexho_invoice_publisher import ConnectTokenMinter, EventType, InvoiceEventPublisher
from alexho_invoice_runtime.auth import verifier
from alexho_invoice_runtime.auth.identity import Identity
from alexho_invoice_runtime.aws import clients
from alexho_invoice_runtime.aws.environment import DYNAMODB, SECRETS_MANAGER
from alexho_invoice_runtime.connections import ConnectionStore
from alexho_invoice_runtime.definitions import (
    ADMIN,
    AUTH_MODE_HS256,
    CUSTOMER,
    Env,
    connections_table_definition,
    event_log_table_definition,
    revocations_table_definition,
)
from alexho_invoice_runtime.handlers import authorizer, send_invoice_update
from tests.publisher.conftest import SnsTopic, create_sns_topic
from tests.runtime.events import authorizer_event, browser_protocol_header
from tests.runtime.fake_management_api import ManagementApiServer, ManagementEndpoint

CONNECTIONS_TABLE = "roundtrip-WebSocketConnections"
EVENT_LOG_TABLE = "roundtrip-InvoiceEventLog"
REVOCATIONS_TABLE = "roundtrip-WebSocketRevocations"
SECRET_NAME = "roundtrip-ConnectTokenSigningKey"
SIGNING_KEY = "round-trip-signing-key-" + "0123456789abcdef" * 2
ISSUER = "https://billing.example.test"
AUDIENCE = "alexho-invoice"


@dataclass(frozen=True)
class Runtime:
    """The moto resources the runtime's handlers run against."""

    topic: SnsTopic
    connections: ConnectionStore
    secrets: Any
    management: ManagementEndpoint

    def frames_posted_to(self, connection_id: str) -> list[dict[str, Any]]:
        """Frames the Management API received for a connection, in order."""
        return self.management.messages_for(connection_id)

    def lambda_events(self) -> list[dict[str, Any]]:
        """Each notification the subscriber received, as the SNS event Lambda would pass."""
        subscription_arn = self.topic.sns.list_subscriptions_by_topic(TopicArn=self.topic.arn)[
            "Subscriptions"
        ][0]["SubscriptionArn"]
        return [
            sns_lambda_event(parse_notification(message["Body"]), subscription_arn)
            for message in self.topic.receive_all()
        ]


@pytest.fixture
def runtime(moto_server_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    """moto with topic, tables and secret, a loopback Management API, ``Env`` variables
    pointing at them (the authorizer's signed DynamoDB reads at moto's server)."""
    for name, value in {
        DYNAMODB.endpoint_variable: moto_server_url,
        SECRETS_MANAGER.endpoint_variable: moto_server_url,
        Env.CONNECTIONS_TABLE: CONNECTIONS_TABLE,
        Env.EVENT_LOG_TABLE: EVENT_LOG_TABLE,
        Env.REVOCATIONS_TABLE: REVOCATIONS_TABLE,
        Env.AUTH_MODE: AUTH_MODE_HS256,
        Env.AUTH_SECRET_ID: SECRET_NAME,
    }.items():
        monkeypatch.setenv(name, value)
    for name in (Env.AWS_ENDPOINT_URL, Env.AUTH_ISSUER, Env.AUTH_AUDIENCE):
        monkeypatch.delenv(name, raising=False)
    clients.reset()
    verifier.reset()
    with mock_aws(), ManagementApiServer() as management:
        monkeypatch.setenv(Env.CALLBACK_URL, management.url)
        dynamodb = boto3.client("dynamodb")
        dynamodb.create_table(**connections_table_definition(CONNECTIONS_TABLE))
        dynamodb.create_table(**event_log_table_definition(EVENT_LOG_TABLE))
        dynamodb.create_table(**revocations_table_definition(REVOCATIONS_TABLE))
        secrets = boto3.client("secretsmanager")
        secrets.create_secret(Name=SECRET_NAME, SecretString=SIGNING_KEY)
        yield Runtime(
            topic=create_sns_topic(),
            connections=ConnectionStore(clients.table(CONNECTIONS_TABLE)),
            secrets=secrets,
            management=management,
        )
    clients.reset()
    verifier.reset()


def _connect(runtime: Runtime, connection_id: str, user_type: str, customer_id: str) -> None:
    identity = Identity.create(f"user-of-{connection_id}", user_type, customer_id)
    now = time.time()
    runtime.connections.put(
        connection_id,
        identity,
        int(now * 1000),
        token_issued_at=int(now),
        token_expires_at=int(now) + 600,
    )


@pytest.mark.parametrize("event_type", list(EventType))
def test_every_published_event_type_is_fanned_out_by_the_runtime(
    runtime: Runtime, event_type: EventType
) -> None:
    # GIVEN an admin, a connection of customer cust-42 and one of another customer
    _connect(runtime, "adminConn", ADMIN, "")
    _connect(runtime, "cust42Conn", CUSTOMER, "cust-42")
    _connect(runtime, "cust7Conn", CUSTOMER, "cust-7")
    publisher = InvoiceEventPublisher(topic_arn=runtime.topic.arn)

    # WHEN the backend publishes a (non-draft) event of cust-42's invoice
    result = publisher.publish(event_type, "inv-1", "cust-42", {"status": "SENT", "version": 2})
    # AND the SNS notification reaches the fan-out function
    [lambda_event] = runtime.lambda_events()
    totals = send_invoice_update.handler(lambda_event, None)

    # THEN the admin and cust-42 receive the envelope unchanged, the other customer nothing
    assert totals["delivered"] == 2
    for connection_id in ("adminConn", "cust42Conn"):
        [frame] = runtime.frames_posted_to(connection_id)
        assert frame["type"] == "event"
        assert frame["event"] == result.event
    assert runtime.frames_posted_to("cust7Conn") == []


def test_a_draft_published_by_the_backend_reaches_admins_only(runtime: Runtime) -> None:
    # GIVEN an admin and a connection of the invoice's customer
    _connect(runtime, "adminConn", ADMIN, "")
    _connect(runtime, "cust42Conn", CUSTOMER, "cust-42")
    publisher = InvoiceEventPublisher(topic_arn=runtime.topic.arn)

    # WHEN the backend creates a draft invoice and the notification is fanned out
    result = publisher.publish_invoice_created("inv-1", "cust-42", {"status": "DRAFT"})
    [lambda_event] = runtime.lambda_events()
    send_invoice_update.handler(lambda_event, None)

    # THEN only the admin sees it
    assert [frame["event"]["id"] for frame in runtime.frames_posted_to("adminConn")] == [
        result.event_id
    ]
    assert runtime.frames_posted_to("cust42Conn") == []


def _authorize(token: str) -> dict[str, Any]:
    response: dict[str, Any] = authorizer.handler(
        authorizer_event(protocol_header=browser_protocol_header(token)), None
    )
    return response


def _effect(response: dict[str, Any]) -> str:
    return str(response["policyDocument"]["Statement"][0]["Effect"])


def test_a_minted_customer_token_is_accepted_by_the_authorizer(runtime: Runtime) -> None:
    # GIVEN a minter reading the same Secrets Manager secret as the authorizer
    minter = ConnectTokenMinter(secret_id=SECRET_NAME, secrets_client=runtime.secrets)

    # WHEN a browser connects with a token minted for a customer's user
    token = minter.mint(subject="portal-user-7", user_type=CUSTOMER, customer_id="cust-42")
    response = _authorize(token)

    # THEN $connect is allowed with that identity and audience, and the token's times
    assert _effect(response) == "Allow"
    context = dict(response["context"])
    issued_at, expires_at = context.pop("tokenIssuedAt"), context.pop("tokenExpiresAt")
    assert context == {
        "sub": "portal-user-7",
        "userType": "CUSTOMER",
        "customerId": "cust-42",
        "audience": "CUSTOMER#cust-42",
    }
    assert expires_at - issued_at == 60  # the SDK's default connect-token lifetime


def test_a_minted_admin_token_is_accepted_by_the_authorizer(runtime: Runtime) -> None:
    # GIVEN a minter with the signing key given directly
    minter = ConnectTokenMinter(signing_key=SIGNING_KEY)

    # WHEN an admin connects with a minted token
    response = _authorize(minter.mint(subject="admin-1", user_type=ADMIN))

    # THEN the connection gets the admin audience
    assert _effect(response) == "Allow"
    assert response["context"]["audience"] == "ADMIN"


def test_issuer_and_audience_checked_by_the_authorizer_are_met(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an authorizer that checks issuer and audience
    monkeypatch.setenv(Env.AUTH_ISSUER, ISSUER)
    monkeypatch.setenv(Env.AUTH_AUDIENCE, AUDIENCE)
    verifier.reset()
    minter = ConnectTokenMinter(signing_key=SIGNING_KEY, issuer=ISSUER, audience=AUDIENCE)

    # WHEN a token minted with them connects, and one minted without them
    with_claims = _authorize(minter.mint(subject="admin-1", user_type=ADMIN))
    without = _authorize(
        ConnectTokenMinter(signing_key=SIGNING_KEY).mint(subject="admin-1", user_type=ADMIN)
    )

    # THEN only the first is allowed
    assert (_effect(with_claims), _effect(without)) == ("Allow", "Deny")


def test_an_expired_minted_token_is_refused(runtime: Runtime) -> None:
    # GIVEN a token minted an hour ago with the default 60 s lifetime
    an_hour_ago = time.time() - 3600
    minter = ConnectTokenMinter(signing_key=SIGNING_KEY, clock=lambda: an_hour_ago)
    token = minter.mint(subject="portal-user-7", user_type=CUSTOMER, customer_id="cust-42")

    # WHEN a browser connects with it
    response = _authorize(token)

    # THEN the authorizer denies $connect
    assert _effect(response) == "Deny"
