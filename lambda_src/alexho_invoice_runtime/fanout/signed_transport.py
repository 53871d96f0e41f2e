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
from urllib.parse import quote

import urllib3

from alexho_invoice_runtime.aws_http import SignedEndpoint, TransportError

__all__ = ["SIGNING_SERVICE", "PostReply", "SignedConnectionsApi", "TransportError"]

#: The SigV4 service name of API Gateway's ``@connections`` API.
SIGNING_SERVICE: Final = "execute-api"
_CONNECTIONS_SEGMENT: Final = "@connections"


@dataclass(frozen=True)
class PostReply:
    """The HTTP answer to one post: its status and API Gateway's error type, if any."""

    status: int
    #: ``x-amzn-ErrorType`` without the ``:<url>`` suffix API Gateway may append.
    error_type: str | None = None


class SignedConnectionsApi:
    """Posts to connections of one ``@connections`` endpoint (the API's callback URL).

    ``credentials`` is a botocore credentials object (``Session.get_credentials()``); ``pool``
    an urllib3 connection pool to the callback URL's host, sized to the posting threads.
    The URL and the constant headers are prepared once (:class:`SignedEndpoint`); :meth:`post`
    is thread-safe.
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
        self._endpoint = SignedEndpoint(
            callback_url,
            service=SIGNING_SERVICE,
            credentials=credentials,
            region=region,
            pool=pool,
            headers={"User-Agent": user_agent},
        )

    def post(self, connection_id: str, data: bytes) -> PostReply:
        """Post ``data`` to ``connection_id``; raises :class:`TransportError` without an answer."""
        response = self._endpoint.post(
            f"/{_CONNECTIONS_SEGMENT}/{quote(connection_id, safe='')}", data
        )
        error_type = response.headers.get("x-amzn-ErrorType")
        return PostReply(response.status, error_type.split(":", 1)[0] if error_type else None)
