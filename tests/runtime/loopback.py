"""A threaded HTTP server on ``127.0.0.1`` for fakes of HTTP services (``@connections``, JWKS)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    """``ThreadingHTTPServer`` with a listen backlog that takes a fan-out's burst of new
    connections (the default of 5 resets some of them on a busy machine)."""

    request_queue_size = 128


class LoopbackHTTPServer:
    """Serves ``handler_class`` on a free loopback port while used as a context manager."""

    def __init__(self, handler_class: type[BaseHTTPRequestHandler]) -> None:
        self._server = _Server(("127.0.0.1", 0), handler_class)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def start(self) -> None:
        """Start serving in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and free the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
