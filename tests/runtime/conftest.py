"""Shared fixtures of the runtime tests: moto-backed tables and a loopback Management API.

``aws`` starts moto in process, creates every table from
``alexho_invoice_runtime.definitions`` and points
the ``Env`` variables at them; ``management_endpoint`` serves ``@connections`` on loopback and
sets ``Env.CALLBACK_URL``. The AWS layer's clients (``alexho_invoice_runtime.aws.clients``) are
reset around each
test, so a
handler creates its clients inside the test's moto session.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from alexho_invoice_runtime.auth import verifier
from alexho_invoice_runtime.aws import clients
from alexho_invoice_runtime.aws.environment import DYNAMODB, SECRETS_MANAGER
from alexho_invoice_runtime.definitions import (
    AUTH_MODE_HS256,
    CONNECTION_EXPIRES_AT,
    EVENT_LOG_EXPIRES_AT,
    REVOCATION_EXPIRES_AT,
    Env,
    connections_table_definition,
    event_log_table_definition,
    revocations_table_definition,
)
from tests.runtime.fake_management_api import ManagementApiServer, ManagementEndpoint
from tests.runtime.log_capture import captured_logs as capture_logs
from tests.runtime.token_factory import HS256_SECRET

CONNECTIONS_TABLE_NAME = "test-WebSocketConnections"
EVENT_LOG_TABLE_NAME = "test-InvoiceEventLog"
REVOCATIONS_TABLE_NAME = "test-WebSocketRevocations"
RETENTION_SECONDS = 3600


@dataclass(frozen=True)
class AwsTables:
    """The moto tables of one test (boto3 ``Table`` resources)."""

    connections: Any
    event_log: Any
    revocations: Any
    retention_seconds: int


@pytest.fixture
def aws(moto_server_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsTables]:
    """moto for the test's duration, the tables created, ``Env`` variables pointing at them
    (and the runtime's AWS layer at moto's server, which serves the same backends)."""
    monkeypatch.setenv(DYNAMODB.endpoint_variable, moto_server_url)
    monkeypatch.setenv(SECRETS_MANAGER.endpoint_variable, moto_server_url)
    monkeypatch.setenv(Env.CONNECTIONS_TABLE, CONNECTIONS_TABLE_NAME)
    monkeypatch.setenv(Env.EVENT_LOG_TABLE, EVENT_LOG_TABLE_NAME)
    monkeypatch.setenv(Env.REVOCATIONS_TABLE, REVOCATIONS_TABLE_NAME)
    monkeypatch.setenv(Env.EVENT_RETENTION_SECONDS, str(RETENTION_SECONDS))
    monkeypatch.delenv(Env.AWS_ENDPOINT_URL, raising=False)
    clients.reset()
    with mock_aws():
        client = boto3.client("dynamodb")
        for definition, ttl_attribute in (
            (connections_table_definition(CONNECTIONS_TABLE_NAME), CONNECTION_EXPIRES_AT),
            (event_log_table_definition(EVENT_LOG_TABLE_NAME), EVENT_LOG_EXPIRES_AT),
            (revocations_table_definition(REVOCATIONS_TABLE_NAME), REVOCATION_EXPIRES_AT),
        ):
            client.create_table(**definition)
            client.update_time_to_live(
                TableName=definition["TableName"],
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute},
            )
        resource = boto3.resource("dynamodb")
        yield AwsTables(
            connections=resource.Table(CONNECTIONS_TABLE_NAME),
            event_log=resource.Table(EVENT_LOG_TABLE_NAME),
            revocations=resource.Table(REVOCATIONS_TABLE_NAME),
            retention_seconds=RETENTION_SECONDS,
        )
    clients.reset()


@pytest.fixture
def management_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[ManagementEndpoint]:
    """A loopback ``@connections`` endpoint, with ``Env.CALLBACK_URL`` set to it."""
    with ManagementApiServer() as endpoint:
        monkeypatch.setenv(Env.CALLBACK_URL, endpoint.url)
        clients.reset()
        yield endpoint
    clients.reset()


@pytest.fixture
def hs256_auth(aws: AwsTables, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """HS256 mode: the signing key in a moto Secrets Manager secret, the authorizer's env vars
    pointing at it and its verifier reset. Yields the secret's ARN."""
    arn = boto3.client("secretsmanager").create_secret(
        Name="test-ConnectTokenSigningKey", SecretString=HS256_SECRET
    )["ARN"]
    monkeypatch.setenv(Env.AUTH_MODE, AUTH_MODE_HS256)
    monkeypatch.setenv(Env.AUTH_SECRET_ID, arn)
    for name in (Env.AUTH_ISSUER, Env.AUTH_AUDIENCE, Env.AUTH_JWKS_URL):
        monkeypatch.delenv(name, raising=False)
    verifier.reset()
    yield arn
    verifier.reset()


class LogCapture:
    """Every log line of ``alexho_invoice_runtime`` as the JSON text the Lambda would print."""

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def text(self) -> str:
        """Everything logged so far."""
        return self.stream.getvalue()


@pytest.fixture
def captured_logs() -> Iterator[LogCapture]:
    """Capture the JSON log lines of ``alexho_invoice_runtime`` loggers during the test."""
    with capture_logs() as stream:
        yield LogCapture(stream)
