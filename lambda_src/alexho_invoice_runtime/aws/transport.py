"""Signed HTTP requests to one AWS endpoint on keep-alive connections (``http.client``).

Each thread that calls an :class:`Endpoint` gets its own persistent connection to it, so the
fan-out's posting threads never wait for one another's connection and a warm container reuses
its connections across invocations. A connection idle for longer than ``max_idle_seconds`` (a
frozen Lambda container's, say) is closed and replaced before a request rather than reused, as
servers close idle keep-alive connections on their side; a request is never sent twice here (a
request that got no answer may have been acted on: retrying is the caller's decision). HTTPS
uses the default ``ssl`` context (the system's CA certificates, or ``AWS_CA_BUNDLE``).
"""

from __future__ import annotations

import http.client
import os
import threading
import time
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
        self._all: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

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
        connection = self._connection()
        try:
            reply = self._send(connection, method, full_path, body, all_headers)
        except (OSError, http.client.HTTPException) as error:
            self._drop(connection)
            raise AwsError(NO_ANSWER, 0, type(error).__name__) from None
        self._local.used_at = time.monotonic()
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

    def _connection(self) -> http.client.HTTPConnection:
        """This thread's connection; a new one after :attr:`max_idle_seconds` of idleness."""
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is not None:
            if time.monotonic() - getattr(self._local, "used_at", 0.0) <= self._max_idle:
                return connection
            self._drop(connection)
        if self._https:
            import ssl

            context = ssl.create_default_context(cafile=os.environ.get("AWS_CA_BUNDLE") or None)
            connection = http.client.HTTPSConnection(
                self._hostname, self._port, timeout=TIMEOUT_SECONDS, context=context
            )
        else:
            connection = http.client.HTTPConnection(
                self._hostname, self._port, timeout=TIMEOUT_SECONDS
            )
        self._local.connection = connection
        with self._lock:
            self._all.append(connection)
        return connection

    def _drop(self, connection: http.client.HTTPConnection) -> None:
        connection.close()
        self._local.connection = None
        with self._lock:
            if connection in self._all:
                self._all.remove(connection)

    def close(self) -> None:
        """Close every thread's connection (tests)."""
        with self._lock:
            connections, self._all = self._all, []
        for connection in connections:
            connection.close()
