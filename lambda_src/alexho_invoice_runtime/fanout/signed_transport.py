"""``POST @connections/{id}`` signed with botocore's SigV4 signer and sent on a urllib3 pool.

A fan-out makes one Management API call per recipient, thousands per event. Through a boto3
client most of each call's CPU goes to botocore's per-call machinery (parameter validation,
serialization, event hooks, endpoint resolution, response parsing). This module does only what
the call needs: it escapes the connection id into a URL prepared once, signs the request with
botocore's own :class:`~botocore.auth.SigV4Auth` (service ``execute-api``) and sends it on a
urllib3 connection pool shared by the posting threads. The answer is reduced to its HTTP status
and ``x-amzn-ErrorType``; what to do with it is :mod:`~alexho_invoice_runtime.fanout.poster`'s
business.

Credentials are botocore's: each request signs with ``get_frozen_credentials()`` of the
session's credentials object, so a refresh (the Lambda role's, or any refreshable provider's)
is picked up between two posts, and the session token is sent when there is one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote, urlsplit

import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

#: The SigV4 service name of API Gateway's ``@connections`` API.
SIGNING_SERVICE: Final = "execute-api"
_CONNECTIONS_SEGMENT: Final = "@connections"
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


@dataclass(frozen=True)
class PostReply:
    """The HTTP answer to one post: its status and API Gateway's error type, if any."""

    status: int
    #: ``x-amzn-ErrorType`` without the ``:<url>`` suffix API Gateway may append.
    error_type: str | None = None


class TransportError(Exception):
    """A post got no HTTP answer: the connection failed, dropped or timed out.

    ``code`` names the underlying error (e.g. ``ProtocolError``, ``ReadTimeoutError``).
    """

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class SignedConnectionsApi:
    """Posts to connections of one ``@connections`` endpoint (the API's callback URL).

    ``credentials`` is a botocore credentials object (``Session.get_credentials()``); ``pool``
    an urllib3 connection pool to the callback URL's host, sized to the posting threads.
    The URL prefix and the constant headers are prepared here, once; :meth:`post` is
    thread-safe.
    """

    def __init__(
        self,
        callback_url: str,
        *,
        credentials: Any,
        region: str,
        pool: urllib3.HTTPConnectionPool,
        user_agent: str,
    ) -> None:
        parts = urlsplit(callback_url)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"not an http(s) callback URL: {callback_url!r}")
        host = parts.hostname
        if parts.port is not None and parts.port != _DEFAULT_PORTS[parts.scheme]:
            host = f"{host}:{parts.port}"
        self._path_prefix = f"{parts.path.rstrip('/')}/{_CONNECTIONS_SEGMENT}/"
        self._url_prefix = f"{parts.scheme}://{host}{self._path_prefix}"
        # What is signed is what is sent: the Host header is set here, not by urllib3.
        self._headers = {"Host": host, "User-Agent": user_agent}
        self._credentials = credentials
        self._region = region
        self._pool = pool

    def post(self, connection_id: str, data: bytes) -> PostReply:
        """Post ``data`` to ``connection_id``; raises :class:`TransportError` without an answer."""
        escaped = quote(connection_id, safe="")
        request = AWSRequest(
            method="POST", url=self._url_prefix + escaped, data=data, headers=self._headers
        )
        frozen = self._credentials.get_frozen_credentials()
        SigV4Auth(frozen, SIGNING_SERVICE, self._region).add_auth(request)
        try:
            response = self._pool.urlopen(
                "POST",
                self._path_prefix + escaped,
                body=data,
                headers=dict(request.headers.items()),
                retries=False,
                redirect=False,
            )
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise TransportError(type(error).__name__) from error
        error_type = response.headers.get("x-amzn-ErrorType")
        return PostReply(response.status, error_type.split(":", 1)[0] if error_type else None)
