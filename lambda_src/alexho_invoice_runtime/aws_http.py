"""What the signed transports share, without boto3: settings from the environment, the botocore
session (credentials, region, CA bundle) and urllib3 connection pools, once per container.

The fan-out's ``@connections`` poster and the DynamoDB reads of the fan-out and the authorizer
sign requests with botocore's SigV4 signer and send them on these pools; the authorizer, in
JWKS mode, then never imports boto3 (``benchmarks/cold_start.py``). Tests call :func:`reset`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from functools import cache, lru_cache
from typing import Any, Final, cast
from urllib.parse import urlsplit

import botocore
import botocore.session
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.httpsession import get_cert_path

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
CONNECT_TIMEOUT_SECONDS: Final = 2.0
READ_TIMEOUT_SECONDS: Final = 5.0
USER_AGENT: Final = f"alexho-invoice-realtime botocore/{botocore.__version__} urllib3"


class MissingSettingError(RuntimeError):
    """A required setting (env var, credentials, region) is missing: a deployment error, not a
    client error."""


def required_env(name: str) -> str:
    """The value of environment variable ``name``; raises :class:`MissingSettingError`."""
    value = os.environ.get(name, "").strip()
    if not value:
        raise MissingSettingError(f"environment variable {name} is not set")
    return value


@cache
def botocore_session() -> botocore.session.Session:
    """The botocore session whose credentials (and their refreshes) sign requests."""
    return botocore.session.get_session()


def credentials() -> Any:
    """The session's refreshable credentials; raises :class:`MissingSettingError` without."""
    found = botocore_session().get_credentials()
    if found is None:
        raise MissingSettingError("no AWS credentials to sign requests with")
    return found


def region() -> str:
    """The session's region (``AWS_REGION``/``AWS_DEFAULT_REGION``, set by Lambda)."""
    name = botocore_session().get_config_variable("region")
    if not name:
        raise MissingSettingError("no AWS region is configured")
    return str(name)


def http_pool(url: str, max_connections: int) -> urllib3.HTTPConnectionPool:
    """The urllib3 pool to the host of ``url``: ``max_connections`` keep-alive connections
    (callers wait for a free one), no urllib3 retries, botocore's timeouts and CA bundle
    (``AWS_CA_BUNDLE`` is honoured). One per URL and size, kept for the container."""
    key = (url, max_connections)
    if key not in _pools:
        _pools[key] = _new_pool(url, max_connections)
    return _pools[key]


_pools: dict[tuple[str, int], urllib3.HTTPConnectionPool] = {}


def _new_pool(url: str, max_connections: int) -> urllib3.HTTPConnectionPool:
    parts = urlsplit(url)
    if not parts.hostname:
        raise MissingSettingError(f"not a URL: {url!r}")
    options: dict[str, Any] = {
        "maxsize": max_connections,
        "block": True,
        "retries": False,
        "timeout": urllib3.Timeout(connect=CONNECT_TIMEOUT_SECONDS, read=READ_TIMEOUT_SECONDS),
    }
    if parts.scheme == "https":
        ca_bundle = botocore_session().get_config_variable("ca_bundle")
        return urllib3.HTTPSConnectionPool(
            parts.hostname, parts.port, ca_certs=ca_bundle or get_cert_path(True), **options
        )
    return urllib3.HTTPConnectionPool(parts.hostname, parts.port, **options)


class TransportError(Exception):
    """A request got no HTTP answer: the connection failed, dropped or timed out.

    ``code`` names the underlying error (e.g. ``ProtocolError``, ``ReadTimeoutError``).
    """

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class _BodyAsGiven(AWSRequest):
    """An ``AWSRequest`` whose ``body`` is the bytes it was built with. botocore's own property
    prepares a whole copy of the request (URL, headers, body) to read them, once per signature,
    which costs more than hashing the body."""

    @property
    def body(self) -> bytes:  # type: ignore[override]  # botocore's is bytes too; its stubs say str
        return cast(bytes, self.data)


@lru_cache(maxsize=8)
def _signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    key = f"AWS4{secret_key}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


class _SigV4KeyedPerDay(SigV4Auth):
    """botocore's SigV4 signer (canonical request, string to sign, headers), with the signing
    key derived once per secret key, day, region and service instead of with four HMACs per
    request. The signatures are botocore's: the tests' endpoints verify every request with the
    unmodified :class:`~botocore.auth.SigV4Auth`."""

    def __init__(self, credentials: Any, service_name: str, region_name: str) -> None:
        super().__init__(credentials, service_name, region_name)
        self._scope = (region_name, service_name)

    def signature(self, string_to_sign: str, request: AWSRequest) -> str:
        date = request.context["timestamp"][0:8]
        key = _signing_key(self.credentials.secret_key, date, *self._scope)
        return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


class SignedEndpoint:
    """POSTs to one HTTP(S) endpoint, each request signed with botocore's
    :class:`~botocore.auth.SigV4Auth` for ``service`` and ``region``.

    ``credentials`` is a botocore credentials object (:func:`credentials`): each request signs
    with ``get_frozen_credentials()``, so a refresh is picked up between two requests, and the
    session token is sent when there is one. The URL and the constant headers are prepared here,
    once; :meth:`post` is thread-safe.
    """

    def __init__(
        self,
        base_url: str,
        *,
        service: str,
        credentials: Any,
        region: str,
        pool: urllib3.HTTPConnectionPool,
        headers: dict[str, str] | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        host = parts.hostname
        if parts.port is not None and parts.port != _DEFAULT_PORTS[parts.scheme]:
            host = f"{host}:{parts.port}"
        self._path = parts.path.rstrip("/")  # the base URL's path, without a trailing slash
        self._url = f"{parts.scheme}://{host}{self._path}"
        # What is signed is what is sent: the Host header is set here, not by urllib3.
        self._headers = {"Host": host, "User-Agent": USER_AGENT, **(headers or {})}
        self._service = service
        self._credentials = credentials
        self._region = region
        self._pool = pool

    def post(
        self, path: str, body: bytes, headers: dict[str, str] | None = None
    ) -> urllib3.BaseHTTPResponse:
        """Sign and send ``POST path`` (already escaped, below the base URL's path); raises
        :class:`TransportError` without an answer."""
        request = _BodyAsGiven(
            method="POST",
            url=self._url + path,
            data=body,
            headers={**self._headers, **headers} if headers else self._headers,
        )
        frozen = self._credentials.get_frozen_credentials()
        _SigV4KeyedPerDay(frozen, self._service, self._region).add_auth(request)
        try:
            return self._pool.urlopen(
                "POST",
                self._path + path,
                body=body,
                headers=dict(request.headers.items()),
                retries=False,
                redirect=False,
            )
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise TransportError(type(error).__name__) from error


def reset() -> None:
    """Close every pool and forget the session (tests: new credentials or env vars)."""
    while _pools:
        _pools.popitem()[1].close()
    botocore_session.cache_clear()
    _signing_key.cache_clear()
