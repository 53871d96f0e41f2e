"""Keep-alive connections for the local moto server.

Werkzeug's development server (which moto serves on) answers every request with
``Connection: close``: it cannot tell whether the application read the whole request body, and
after each answer it reads and drops whatever the client sent since, which would swallow the
next request on a kept connection. So each call of the runtime's AWS layer, which keeps one
connection per thread as it does with AWS, connected anew, and moto's server started a thread
for it: about 110 connections a second in the soak.

:class:`KeepAliveRequestHandler` reads a request's whole body (its ``Content-Length``) before
the application runs and hands the application that copy, so nothing of the request is left
unread; werkzeug's after-answer read then finds nothing to drop, and HTTP/1.1's keep-alive
stands. A request it cannot frame that way (a chunked body, a repeated or malformed
``Content-Length``, a body cut short) is answered and closed as werkzeug does. A connection
idle for :data:`IDLE_TIMEOUT_SECONDS` is closed by the server: longer than the runtime's
clients keep an idle one (``transport.MAX_IDLE_SECONDS``), so they never send on a connection
the server is closing.

The after-answer read is werkzeug's own code, so the handler is used only with the werkzeug
release it was checked against (:data:`CHECKED_WERKZEUG_VERSION`, :func:`request_handler`);
with another, every connection is closed after one request, as before.
"""

from __future__ import annotations

import io
import socket
from importlib.metadata import version
from typing import TYPE_CHECKING, Any, Final

from moto.moto_server.werkzeug_app import MotoRequestHandler

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

#: The werkzeug release whose ``WSGIRequestHandler.run_wsgi`` the handler was checked against.
CHECKED_WERKZEUG_VERSION: Final = "3.1.9"
#: Seconds a kept connection may wait for its next request (or a request for its body).
IDLE_TIMEOUT_SECONDS: Final = 120.0


class _ReadWhole:
    """The connection's input while a request whose body was read whole is answered: reads
    find nothing (werkzeug's after-answer read), everything else is the real input's."""

    def __init__(self, rfile: io.BufferedIOBase) -> None:
        self._rfile = rfile

    def read(self, size: int = -1) -> bytes:
        return b""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rfile, name)


class KeepAliveRequestHandler(MotoRequestHandler):
    """moto's request handler, keeping HTTP/1.1 connections open between requests."""

    timeout = IDLE_TIMEOUT_SECONDS
    #: Whether the current request's body was read whole (so the connection may stay open).
    _framed = False

    def setup(self) -> None:
        super().setup()
        # An answer goes out in two writes (head, then body); with Nagle's algorithm the second
        # waited for the client's delayed acknowledgement, 40 ms, on a kept connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle_one_request(self) -> None:
        rfile = self.rfile
        self._framed = False  # until this request's body is read whole
        try:
            super().handle_one_request()
        finally:
            self.rfile = rfile

    def make_environ(self) -> WSGIEnvironment:
        environ = super().make_environ()
        lengths = self.headers.get_all("Content-Length") or []
        if "HTTP_TRANSFER_ENCODING" in environ or len(lengths) > 1:
            return environ
        length = lengths[0].strip() if lengths else "0"
        if not length.isdigit():
            return environ
        body = self.rfile.read(int(length))
        environ["wsgi.input"] = io.BytesIO(body)
        if len(body) == int(length):
            self._framed = True
            self.rfile = _ReadWhole(self.rfile)  # type: ignore[assignment]
        return environ

    def send_header(self, keyword: str, value: str) -> None:
        if self._framed and keyword.lower() == "connection" and value.lower() == "close":
            return  # the body was read whole: the next request may follow on this connection
        super().send_header(keyword, value)


def request_handler() -> type[MotoRequestHandler]:
    """:class:`KeepAliveRequestHandler` on :data:`CHECKED_WERKZEUG_VERSION`, moto's own handler
    (a connection per request) on any other release."""
    if version("werkzeug") == CHECKED_WERKZEUG_VERSION:
        return KeepAliveRequestHandler
    return MotoRequestHandler
