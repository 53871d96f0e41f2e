"""The demo page's HTTP server: loopback only, one thread per connection, no request logging
beyond method and path (a query string or a reply never reaches a log)."""

from __future__ import annotations

import logging
import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Final
from urllib.parse import urlsplit

from alexho_invoice_local.ports import explained_bind_errors
from alexho_invoice_local.web.app import DemoPageApp, Reply
from alexho_invoice_local.web.request_guard import SINGLE_HEADERS, BadRequestError, refusal
from alexho_invoice_local.web.scenario_steps import MAX_REQUEST_BYTES

LOGGER = logging.getLogger(__name__)
_SERVICE: Final = "demo page"
_SECURITY_HEADERS: Final = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], app: DemoPageApp, forwarded_ports: tuple[int, ...]
    ) -> None:
        self.app = app
        self.forwarded_ports = forwarded_ports
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which nothing here needs.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "alexho-local-demo-page"
    sys_version = ""
    #: Idle keep-alive connections are closed after this many seconds.
    timeout = 30

    def do_GET(self) -> None:
        self._handle(b"")

    def do_POST(self) -> None:
        length_header = self.headers.get("Content-Length")
        if length_header is None or not length_header.isdigit():
            self._send(Reply(411, b'{"error": "Content-Length is required"}'), close=True)
            return
        length = int(length_header)
        if length > MAX_REQUEST_BYTES:
            message = f'{{"error": "the body must be at most {MAX_REQUEST_BYTES} bytes"}}'
            self._send(Reply(413, message.encode()), close=True)
            return
        self._handle(self.rfile.read(length))

    def _handle(self, body: bytes) -> None:
        path = urlsplit(self.path).path
        repeated = [name for name in SINGLE_HEADERS if len(self.headers.get_all(name, [])) > 1]
        if repeated:
            message = f'{{"error": "more than one {repeated[0]} header"}}'
            self._send(Reply(400, message.encode()), close=True)
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            reason = refusal(
                self.command, path, headers, self.server.server_port, self.server.forwarded_ports
            )
        except BadRequestError as error:
            self._send(Reply(400, f'{{"error": "{error}"}}'.encode()), close=True)
            return
        if reason is not None:
            self._send(Reply(403, f'{{"error": "{reason}"}}'.encode()))
            return
        try:
            reply = self.server.app.answer(self.command, self.path, body)
        except Exception:
            LOGGER.exception("demo page: %s %s failed", self.command, path)
            reply = Reply(500, b'{"error": "internal error; see the stack\'s log"}')
        self._send(reply)

    def _send(self, reply: Reply, *, close: bool = False) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in (*_SECURITY_HEADERS, *reply.headers):
            self.send_header(name, value)
        if reply.content_type.startswith("text/html"):
            self.send_header("Content-Security-Policy", self.server.app.content_security_policy())
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def log_message(self, format: str, *args: object) -> None:
        # The default logs the request line, query string included; log the path only.
        LOGGER.debug("demo page: %s %s", self.command, urlsplit(self.path).path)


class DemoPageServer:
    """Serves :class:`DemoPageApp` on a loopback address, in a thread of its own."""

    def __init__(self, app: DemoPageApp, forwarded_ports: tuple[int, ...] = ()) -> None:
        self._app = app
        self._forwarded_ports = forwarded_ports
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self, host: str, port: int) -> int:
        """Listen on ``host:port`` (a loopback address; 0: a free port); returns the port."""
        with explained_bind_errors(_SERVICE, host, port):
            server = _Server((host, port), self._app, self._forwarded_ports)
        bound: int = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="demo-page"
        )
        self._thread.daemon = True
        self._thread.start()
        return bound

    def stop(self) -> None:
        """Stop listening (connections still open are closed with the process)."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None
