"""Signed HTTP requests to one AWS endpoint on keep-alive connections (``http.client``).

Each thread that calls an :class:`Endpoint` gets its own persistent connection to it, so the
fan-out's posting threads never wait for one another's connection and a warm container reuses
its connections across invocations. A connection idle for longer than ``max_idle_seconds`` (a
frozen Lambda container's, say) is closed and replaced before a request rather than reused, as
servers close idle keep-alive connections on their side; a request is never sent twice here (a
request that got no answer may have been acted on: retrying is the caller's decision). A
thread's connection is closed when the thread ends (the fan-out starts a reading thread per
event), so a warm container keeps no sockets of finished threads. HTTPS uses one default
``ssl`` context per endpoint (the system's CA certificates, or ``AWS_CA_BUNDLE``), built on the
first HTTPS connection.
"""

from __future__ import annotations

import http.client
import os
import ssl
import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from alexho_invoice_runtime.aws import environment
from alexho_invoice_runtime.aws.errors import NO_ANSWER, AwsConfigError, AwsError
from alexho_invoice_runtime.aws.sigv4 import sign

#: Seconds to connect and, then, to wait for each read of an answer.
TIMEOUT_SECONDS: Final = 5.0
#: Longest idle time after which a kept connection is still reused.
MAX_IDLE_SECONDS: Final = 15.0
USER_AGENT: Final = "alexho-invoice-realtime (stdlib http.client, SigV4)"
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


class _Held:
    """A thread's connection and when it was last used; held only by that thread's
    ``threading.local``, so it goes (and its connection is closed) when the thread ends."""

    __slots__ = ("__weakref__", "connection", "used_at")

    def __init__(self, connection: http.client.HTTPConnection) -> None:
        self.connection = connection
        self.used_at = time.monotonic()


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, headers (names lower-cased) and body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class Endpoint:
    """One AWS endpoint (``base_url``, possibly with a path such as an API stage), signing for
    ``service`` in ``region``. Thread-safe."""

    def __init__(
        self,
        base_url: str,
        *,
        service: str,
        region: str,
        max_idle_seconds: float = MAX_IDLE_SECONDS,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise AwsConfigError(f"not an http(s) URL: {base_url!r}")
        self._https = parts.scheme == "https"
        self._hostname = parts.hostname
        self._port = parts.port or _DEFAULT_PORTS[parts.scheme]
        self._host = (
            self._hostname
            if self._port == _DEFAULT_PORTS[parts.scheme]
            else f"{self._hostname}:{self._port}"
        )
        self.base_path = parts.path.rstrip("/")
        self.url = f"{parts.scheme}://{self._host}{self.base_path}"
        self._service = service
        self._region = region
        self._max_idle = max_idle_seconds
        self._local = threading.local()
        self._held: weakref.WeakSet[_Held] = weakref.WeakSet()
        self._ssl_context: ssl.SSLContext | None = None

    def request(
        self, method: str, path: str, body: bytes = b"", headers: Mapping[str, str] | None = None
    ) -> Reply:
        """Sign and send ``method path`` (escaped, below the base URL's path); raises
        :class:`AwsError` (:data:`NO_ANSWER`, status 0) when no answer comes."""
        full_path = self.base_path + path
        to_sign = {"Host": self._host, **(headers or {})}
        signed = sign(
            method,
            full_path,
            to_sign,
            body,
            credentials=environment.credentials(),
            region=self._region,
            service=self._service,
        )
        all_headers = {**to_sign, **signed, "User-Agent": USER_AGENT}
        if body or method in ("POST", "PUT"):
            all_headers["Content-Length"] = str(len(body))
        held = self._connection()
        try:
            reply = self._send(held.connection, method, full_path, body, all_headers)
        except (OSError, http.client.HTTPException) as error:
            self._drop(held)
            raise AwsError(NO_ANSWER, 0, type(error).__name__) from None
        held.used_at = time.monotonic()
        return reply

    @staticmethod
    def _send(
        connection: http.client.HTTPConnection,
        method: str,
        path: str,
        body: bytes,
        headers: Mapping[str, str],
    ) -> Reply:
        connection.request(method, path, body=body or None, headers=dict(headers))
        response = connection.getresponse()
        data = response.read()
        answer_headers = {name.lower(): value for name, value in response.getheaders()}
        # After an answer with "Connection: close" the next request connects again
        # (``HTTPConnection.connect`` "is called automatically when making a request if the
        # client does not already have a connection").
        return Reply(response.status, answer_headers, data)

    def _connection(self) -> _Held:
        """This thread's connection; a new one after :attr:`max_idle_seconds` of idleness."""
        held: _Held | None = getattr(self._local, "held", None)
        if held is not None:
            if time.monotonic() - held.used_at <= self._max_idle:
                return held
            self._drop(held)
        connection: http.client.HTTPConnection
        if self._https:
            if self._ssl_context is None:  # a race builds two equal contexts, no harm
                self._ssl_context = ssl.create_default_context(
                    cafile=os.environ.get("AWS_CA_BUNDLE") or None
                )
            connection = http.client.HTTPSConnection(
                self._hostname, self._port, timeout=TIMEOUT_SECONDS, context=self._ssl_context
            )
        else:
            connection = http.client.HTTPConnection(
                self._hostname, self._port, timeout=TIMEOUT_SECONDS
            )
        held = _Held(connection)
        # When the thread ends, its local (and so ``held``) goes: close the socket with it.
        weakref.finalize(held, connection.close)
        self._local.held = held
        self._held.add(held)
        return held

    def _drop(self, held: _Held) -> None:
        held.connection.close()
        self._local.held = None

    def close(self) -> None:
        """Close every live thread's connection (tests)."""
        for held in list(self._held):
            held.connection.close()
