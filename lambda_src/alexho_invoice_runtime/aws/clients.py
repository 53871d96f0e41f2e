"""The container's AWS clients, created on first use and kept (a warm container reuses them
and their connections); nothing is created at import. Tests call :func:`reset`."""

from __future__ import annotations

from functools import cache

from alexho_invoice_runtime import settings
from alexho_invoice_runtime.aws import environment
from alexho_invoice_runtime.aws.connections_api import HttpConnectionsApi
from alexho_invoice_runtime.aws.dynamodb import DynamoDb, Table
from alexho_invoice_runtime.aws.secrets import HttpSecretsApi
from alexho_invoice_runtime.aws.transport import Endpoint
from alexho_invoice_runtime.definitions import Env


@cache
def dynamodb() -> DynamoDb:
    """DynamoDB at its resolved endpoint."""
    endpoint = Endpoint(
        environment.endpoint(environment.DYNAMODB),
        service=environment.DYNAMODB.signing_name,
        region=environment.region(),
    )
    return DynamoDb(endpoint)


@cache
def table(name: str) -> Table:
    """The table called ``name``."""
    return dynamodb().table(name)


def connections_table() -> Table:
    """The connections table (``Env.CONNECTIONS_TABLE``)."""
    return table(settings.required(Env.CONNECTIONS_TABLE))


def event_log_table() -> Table:
    """The event-log table (``Env.EVENT_LOG_TABLE``)."""
    return table(settings.required(Env.EVENT_LOG_TABLE))


def revocations_table() -> Table:
    """The revocations table (``Env.REVOCATIONS_TABLE``)."""
    return table(settings.required(Env.REVOCATIONS_TABLE))


@cache
def connections_api() -> HttpConnectionsApi:
    """``@connections`` of the API at ``Env.CALLBACK_URL``."""
    return HttpConnectionsApi(settings.required(Env.CALLBACK_URL))


@cache
def secrets() -> HttpSecretsApi:
    """Secrets Manager at its resolved endpoint."""
    endpoint = Endpoint(
        environment.endpoint(environment.SECRETS_MANAGER),
        service=environment.SECRETS_MANAGER.signing_name,
        region=environment.region(),
    )
    return HttpSecretsApi(endpoint)


def reset() -> None:
    """Forget every client and resolved endpoint (tests: new servers or environment)."""
    for factory in (dynamodb, table, connections_api, secrets):
        factory.cache_clear()
    environment.reset()
