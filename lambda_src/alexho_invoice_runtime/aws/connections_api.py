"""API Gateway's ``@connections`` Management API of one WebSocket API: ``POST`` (send a frame),
``DELETE`` (close) and ``GET`` (a connection's state), signed for ``execute-api``.

:meth:`ConnectionsApi.post_once` is one attempt whose HTTP answer the fan-out's poster judges
itself (it retries with the layer's :class:`~alexho_invoice_runtime.aws.retry.RetryPolicy`);
:meth:`~ConnectionsApi.send`, :meth:`~ConnectionsApi.close` and :meth:`~ConnectionsApi.get`
retry throttling and transient failures with the layer's policy and raise
:class:`~alexho_invoice_runtime.aws.errors.AwsError` (``gone`` for a closed connection).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Protocol
from urllib.parse import quote, urlsplit

from alexho_invoice_runtime.aws import environment
from alexho_invoice_runtime.aws.errors import GONE, AwsError
from alexho_invoice_runtime.aws.retry import DEFAULT_POLICY, RetryPolicy, with_retries
from alexho_invoice_runtime.aws.transport import Endpoint

_SEGMENT: Final = "/@connections/"
#: ``{api-id}.execute-api.{region}.amazonaws.com`` (or ``.com.cn``): the API's own region.
_EXECUTE_API_HOST: Final = re.compile(r"^[^.]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$")


@dataclass(frozen=True)
class PostReply:
    """The HTTP answer to one post: its status and API Gateway's error type, if any."""

    status: int
    #: ``x-amzn-ErrorType`` without the ``:<url>`` suffix API Gateway may append.
    error_type: str | None = None


class ConnectionsApi(Protocol):
    """What the runtime does with ``@connections``."""

    def post_once(self, connection_id: str, data: bytes) -> PostReply:
        """One ``POST``; raises ``AwsError`` only when no answer came."""
        ...

    def send(self, connection_id: str, data: bytes) -> None:
        """``POST`` with retries; raises ``AwsError`` (``gone`` when the connection is)."""
        ...

    def close(self, connection_id: str) -> bool:
        """``DELETE``; ``False`` when the connection was already gone."""
        ...

    def get(self, connection_id: str) -> dict[str, Any] | None:
        """``GET``: the connection's state, ``None`` when it is gone."""
        ...


def signing_region(callback_url: str) -> str:
    """The region in ``…execute-api.{region}.amazonaws.com``, else the environment's."""
    match = _EXECUTE_API_HOST.match(urlsplit(callback_url).hostname or "")
    return match.group(1) if match else environment.region()


class HttpConnectionsApi:
    """``@connections`` of the API whose callback URL is ``callback_url``
    (``https://{api-id}.execute-api.{region}.amazonaws.com/{stage}``). Thread-safe."""

    def __init__(
        self,
        callback_url: str,
        *,
        retry: RetryPolicy = DEFAULT_POLICY,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._endpoint = Endpoint(
            callback_url,
            service=environment.EXECUTE_API.signing_name,
            region=signing_region(callback_url),
        )
        self._retry = retry
        self._sleep = sleep

    @staticmethod
    def _path(connection_id: str) -> str:
        return _SEGMENT + quote(connection_id, safe="")

    def post_once(self, connection_id: str, data: bytes) -> PostReply:
        """One ``POST``; raises ``AwsError`` only when no answer came."""
        reply = self._endpoint.request("POST", self._path(connection_id), data)
        error_type = reply.headers.get("x-amzn-errortype")
        return PostReply(reply.status, error_type.split(":", 1)[0] if error_type else None)

    def _checked(self, method: str, connection_id: str, data: bytes = b"") -> bytes:
        def once() -> bytes:
            reply = self._endpoint.request(method, self._path(connection_id), data)
            if 200 <= reply.status < 300:
                return reply.body
            error_type = reply.headers.get("x-amzn-errortype", "")
            code = error_type.split(":", 1)[0] or (GONE if reply.status == 410 else "HttpError")
            raise AwsError(code, reply.status)

        return with_retries(once, self._retry, sleep=self._sleep)

    def send(self, connection_id: str, data: bytes) -> None:
        """``POST`` with retries; raises ``AwsError`` (``gone`` when the connection is)."""
        self._checked("POST", connection_id, data)

    def close(self, connection_id: str) -> bool:
        """``DELETE``; ``False`` when the connection was already gone."""
        try:
            self._checked("DELETE", connection_id)
        except AwsError as error:
            if error.gone:
                return False
            raise
        return True

    def get(self, connection_id: str) -> dict[str, Any] | None:
        """``GET``: the connection's state (``connectedAt``, ``identity``, ``lastActiveAt``),
        ``None`` when it is gone."""
        try:
            body = self._checked("GET", connection_id)
        except AwsError as error:
            if error.gone:
                return None
            raise
        parsed = json.loads(body or b"{}")
        return parsed if isinstance(parsed, dict) else {}
