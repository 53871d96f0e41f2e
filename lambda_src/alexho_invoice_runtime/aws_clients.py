"""boto3 clients and resources, created once per container on first use.

Every handler gets its AWS clients here, so a warm container reuses them (and their HTTP
connection pools) across invocations, and a cold start creates only what the invocation needs.
Nothing is created at import: the env vars (table names, callback URL) are read at first call,
and ``AWS_ENDPOINT_URL`` (the local stack) is picked up by botocore itself.

Tests call :func:`reset` to drop the cached objects between moto sessions.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any, Final

import boto3
from botocore.config import Config

from alexho_invoice_runtime.definitions import Env

#: HTTP connection pool of the Management API client; match it to the posting thread pool.
DEFAULT_MAX_POOL_CONNECTIONS: Final = 32
#: Retries after the first attempt of a Management API call (botocore's ``retries.max_attempts``
#: in ``standard`` mode, which retries throttling such as ``LimitExceededException`` with
#: backoff); 0 leaves retrying to the caller.
DEFAULT_MANAGEMENT_API_RETRIES: Final = 2
_CONNECT_TIMEOUT_SECONDS: Final = 2.0
_READ_TIMEOUT_SECONDS: Final = 5.0


class MissingSettingError(RuntimeError):
    """A required environment variable is not set (a deployment error, not a client error)."""


def required_env(name: str) -> str:
    """The value of environment variable ``name``; raises :class:`MissingSettingError`."""
    value = os.environ.get(name, "").strip()
    if not value:
        raise MissingSettingError(f"environment variable {name} is not set")
    return value


@cache
def dynamodb() -> Any:
    """The DynamoDB service resource."""
    return boto3.resource("dynamodb")


@cache
def connections_table() -> Any:
    """The connections table (``Table`` resource) named by ``Env.CONNECTIONS_TABLE``."""
    return dynamodb().Table(required_env(Env.CONNECTIONS_TABLE))


@cache
def event_log_table() -> Any:
    """The event-log table (``Table`` resource) named by ``Env.EVENT_LOG_TABLE``."""
    return dynamodb().Table(required_env(Env.EVENT_LOG_TABLE))


def revocations_table_name() -> str:
    """The revocations table's name (``Env.REVOCATIONS_TABLE``)."""
    return required_env(Env.REVOCATIONS_TABLE)


@cache
def secretsmanager() -> Any:
    """The Secrets Manager client."""
    return boto3.client("secretsmanager")


@cache
def management_api(
    max_pool_connections: int = DEFAULT_MAX_POOL_CONNECTIONS,
    max_attempts: int = DEFAULT_MANAGEMENT_API_RETRIES,
) -> Any:
    """The API Gateway Management API client for ``Env.CALLBACK_URL`` (the ``@connections``
    endpoint), with a connection pool of ``max_pool_connections`` and ``standard`` retries
    (``max_attempts`` retries after the first attempt)."""
    config = Config(
        max_pool_connections=max_pool_connections,
        retries={"mode": "standard", "max_attempts": max_attempts},
        connect_timeout=_CONNECT_TIMEOUT_SECONDS,
        read_timeout=_READ_TIMEOUT_SECONDS,
    )
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=required_env(Env.CALLBACK_URL),
        config=config,
    )


def reset() -> None:
    """Forget every cached client (tests: a new moto session or changed env vars)."""
    for factory in (dynamodb, connections_table, event_log_table, secretsmanager, management_api):
        factory.cache_clear()
