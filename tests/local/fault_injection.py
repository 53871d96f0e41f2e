"""Faults put between the local stack's Lambda code and what it calls, for the fault campaign.

- :class:`SwitchableRelay`: a TCP relay in front of moto that can refuse connections for a while
  (the AWS endpoint unreachable); the handlers' ``AWS_ENDPOINT_URL`` points at it.
- :class:`FailingConnectionsProxy`: an HTTP proxy in front of the Management API that answers
  500 for chosen connection ids and forwards everything else unchanged.
- :func:`free_port`: a port nobody listens on right now.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit


def free_port() -> int:
    """A loopback port that is free right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class SwitchableRelay:
    """Relays TCP connections from a port of its own to ``upstream_port`` on loopback."""

    def __init__(self, upstream_port: int) -> None:
        self.port = free_port()
        self._upstream = upstream_port
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.up()

    def up(self) -> None:
        """Accept connections again."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        """Refuse new connections and cut the open ones (the endpoint is unreachable)."""
        if self._listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone would leave the
            # socket listening until then.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._open = self._open, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    @contextlib.contextmanager
    def outage(self) -> Iterator[None]:
        """Unreachable while the block runs."""
        self.down()
        try:
            yield
        finally:
            self.up()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self._upstream))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open |= {client, upstream}
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                target.sendall(chunk)
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class FailingConnectionsProxy:
    """Forwards ``@connections`` requests to the Management API on ``upstream_port``, except
    those for a failing connection id, which get a 500 ``InternalServerErrorException``."""

    def __init__(self, upstream_port: int) -> None:
        self.failing: set[str] = set()
        self.failed_requests = 0
        #: Requests answered 500, by HTTP method (the fan-out POSTs, then DELETEs to close).
        self.failed_by_method: Counter[str] = Counter()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            upstream: http.client.HTTPConnection | None = None

            def do_POST(self) -> None:
                self._relay()

            def do_GET(self) -> None:
                self._relay()

            def do_DELETE(self) -> None:
                self._relay()

            def log_message(self, *_: object) -> None:
                pass

            def _relay(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if unquote(urlsplit(self.path).path.rsplit("/", 1)[-1]) in proxy.failing:
                    proxy.failed_requests += 1
                    proxy.failed_by_method[self.command] += 1
                    self._answer(
                        500,
                        [("x-amzn-ErrorType", "InternalServerErrorException")],
                        json.dumps({"message": "Internal server error"}).encode(),
                    )
                    return
                if self.upstream is None:
                    self.upstream = http.client.HTTPConnection("127.0.0.1", upstream_port)
                self.upstream.request(self.command, self.path, body, dict(self.headers))
                response = self.upstream.getresponse()
                payload = response.read()
                headers = [
                    (name, value)
                    for name, value in response.getheaders()
                    if name.lower() not in {"content-length", "connection", "date"}
                ]
                self._answer(response.status, headers, payload)

            def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
