"""boto3 clients and resources, and the fan-out's signed ``@connections`` transport, created
once per container on first use.

Every handler gets its AWS clients here, so a warm container reuses them (and their HTTP
connection pools) across invocations, and a cold start creates only what the invocation needs.
Nothing is created at import: the env vars (table names, callback URL) are read at first call,
and ``AWS_ENDPOINT_URL`` (the local stack) is picked up by botocore itself.

Tests call :func:`reset` to drop the cached objects between moto sessions.
"""

from __future__ import annotations

import os
import re
from functools import cache
from typing import Any, Final
from urllib.parse import urlsplit

import boto3
import botocore
import botocore.session
import urllib3
from botocore.config import Config
from botocore.httpsession import get_cert_path

from alexho_invoice_runtime.definitions import Env
from alexho_invoice_runtime.fanout.signed_transport import SignedConnectionsApi

#: HTTP connection pool of the Management API client; match it to the posting thread pool.
DEFAULT_MAX_POOL_CONNECTIONS: Final = 32
#: Retries after the first attempt of a Management API call (botocore's ``retries.max_attempts``
#: in ``standard`` mode, which retries throttling such as ``LimitExceededException`` with
#: backoff); 0 leaves retrying to the caller.
DEFAULT_MANAGEMENT_API_RETRIES: Final = 2
_CONNECT_TIMEOUT_SECONDS: Final = 2.0
_READ_TIMEOUT_SECONDS: Final = 5.0
#: ``{api-id}.execute-api.{region}.amazonaws.com`` (or ``.com.cn``): the API's own region.
_EXECUTE_API_HOST: Final = re.compile(r"^[^.]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$")
_USER_AGENT: Final = f"alexho-invoice-realtime botocore/{botocore.__version__} urllib3"


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


@cache
def botocore_session() -> botocore.session.Session:
    """The botocore session whose credentials (and their refreshes) sign ``@connections`` posts."""
    return botocore.session.get_session()


def connections_pool(callback_url: str, max_connections: int) -> urllib3.HTTPConnectionPool:
    """The urllib3 pool to the host of ``callback_url``: ``max_connections`` keep-alive
    connections (callers wait for a free one), no urllib3 retries, botocore's timeouts and CA
    bundle (``AWS_CA_BUNDLE`` is honoured). One per URL and size, kept for the container."""
    key = (callback_url, max_connections)
    if key not in _pools:
        _pools[key] = _new_pool(callback_url, max_connections)
    return _pools[key]


_pools: dict[tuple[str, int], urllib3.HTTPConnectionPool] = {}


def _new_pool(callback_url: str, max_connections: int) -> urllib3.HTTPConnectionPool:
    parts = urlsplit(callback_url)
    if not parts.hostname:
        raise MissingSettingError(f"{Env.CALLBACK_URL} is not a URL: {callback_url!r}")
    options: dict[str, Any] = {
        "maxsize": max_connections,
        "block": True,
        "retries": False,
        "timeout": urllib3.Timeout(connect=_CONNECT_TIMEOUT_SECONDS, read=_READ_TIMEOUT_SECONDS),
    }
    if parts.scheme == "https":
        ca_bundle = botocore_session().get_config_variable("ca_bundle")
        return urllib3.HTTPSConnectionPool(
            parts.hostname, parts.port, ca_certs=ca_bundle or get_cert_path(True), **options
        )
    return urllib3.HTTPConnectionPool(parts.hostname, parts.port, **options)


def connections_api(max_connections: int = DEFAULT_MAX_POOL_CONNECTIONS) -> SignedConnectionsApi:
    """The fan-out's ``@connections`` transport for ``Env.CALLBACK_URL``: a new signer (URL and
    headers prepared, credentials looked up) over the container's pool of ``max_connections``.

    The signing region is the one in the callback URL (``…execute-api.{region}.amazonaws.com``),
    else the session's (``AWS_DEFAULT_REGION``, set by Lambda). Raises
    :class:`MissingSettingError` without credentials or a region.
    """
    callback_url = required_env(Env.CALLBACK_URL)
    session = botocore_session()
    credentials = session.get_credentials()
    if credentials is None:
        raise MissingSettingError("no AWS credentials to sign @connections posts with")
    host_match = _EXECUTE_API_HOST.match(urlsplit(callback_url).hostname or "")
    region = host_match.group(1) if host_match else session.get_config_variable("region")
    if not region:
        raise MissingSettingError("no AWS region to sign @connections posts for")
    return SignedConnectionsApi(
        callback_url,
        credentials=credentials,
        region=str(region),
        pool=connections_pool(callback_url, max_connections),
        user_agent=_USER_AGENT,
    )


def reset() -> None:
    """Forget every cached client (tests: a new moto session or changed env vars)."""
    for factory in (dynamodb, connections_table, event_log_table, secretsmanager, management_api):
        factory.cache_clear()
    while _pools:
        _pools.popitem()[1].close()
    botocore_session.cache_clear()
