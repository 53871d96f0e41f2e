"""boto3 clients and resources, and the fan-out's signed ``@connections`` transport, created
once per container on first use.

Every handler gets its AWS clients here, so a warm container reuses them (and their HTTP
connection pools) across invocations, and a cold start creates only what the invocation needs.
Nothing is created at import: the env vars (table names, callback URL) are read at first call,
and ``AWS_ENDPOINT_URL`` (the local stack) is picked up by botocore itself.

Tests call :func:`reset` to drop the cached objects between moto sessions.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, Final
from urllib.parse import urlsplit

import boto3
from botocore.config import Config

from alexho_invoice_runtime import aws_http
from alexho_invoice_runtime.aws_http import (
    CONNECT_TIMEOUT_SECONDS,
    READ_TIMEOUT_SECONDS,
    USER_AGENT,
    required_env,
)
from alexho_invoice_runtime.definitions import Env
from alexho_invoice_runtime.fanout.signed_transport import SignedConnectionsApi

#: HTTP connection pool of the Management API client; match it to the posting thread pool.
DEFAULT_MAX_POOL_CONNECTIONS: Final = 32
#: Retries after the first attempt of a Management API call (botocore's ``retries.max_attempts``
#: in ``standard`` mode, which retries throttling such as ``LimitExceededException`` with
#: backoff); 0 leaves retrying to the caller.
DEFAULT_MANAGEMENT_API_RETRIES: Final = 2
#: ``{api-id}.execute-api.{region}.amazonaws.com`` (or ``.com.cn``): the API's own region.
_EXECUTE_API_HOST: Final = re.compile(r"^[^.]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$")


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
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
    )
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=required_env(Env.CALLBACK_URL),
        config=config,
    )


def connections_api(max_connections: int = DEFAULT_MAX_POOL_CONNECTIONS) -> SignedConnectionsApi:
    """The fan-out's ``@connections`` transport for ``Env.CALLBACK_URL``: a new signer (URL and
    headers prepared, credentials looked up) over the container's pool of ``max_connections``.

    The signing region is the one in the callback URL (``…execute-api.{region}.amazonaws.com``),
    else the session's (``AWS_DEFAULT_REGION``, set by Lambda). Raises
    :class:`~alexho_invoice_runtime.aws_http.MissingSettingError` without credentials or a
    region.
    """
    callback_url = required_env(Env.CALLBACK_URL)
    host_match = _EXECUTE_API_HOST.match(urlsplit(callback_url).hostname or "")
    return SignedConnectionsApi(
        callback_url,
        credentials=aws_http.credentials(),
        region=host_match.group(1) if host_match else aws_http.region(),
        pool=aws_http.http_pool(callback_url, max_connections),
        user_agent=USER_AGENT,
    )


def reset() -> None:
    """Forget every cached client (tests: a new moto session or changed env vars)."""
    for factory in (dynamodb, connections_table, event_log_table, secretsmanager, management_api):
        factory.cache_clear()
    aws_http.reset()
