"""moto's HTTP server (DynamoDB, SNS, SQS, Secrets Manager) on loopback.

:class:`moto.server.ThreadedMotoServer` runs either in a thread of this process or (the
default) in a child process of its own: moto's backends are process-wide state, and in a child
they neither share this process's interpreter lock with the gateway nor touch the backends of
any ``mock_aws`` session in this process. The child exits when its parent goes away. Only
local programs may use it (:mod:`~alexho_invoice_local.aws.moto_guard`: loopback ``Host``, no
requests from web pages, no CORS headers).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import threading
import urllib.request
from collections.abc import Iterable
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from flask import Flask
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server

from alexho_invoice_local.aws import keep_alive, moto_memory, moto_speedups
from alexho_invoice_local.aws.moto_guard import LoopbackOnly
from alexho_invoice_local.aws.ttl_expiry import (
    DYNAMODB_LOCK,
    EXPIRY_SECONDS,
    expire_items,
    ttl_expiry,
)
from alexho_invoice_local.periodic import Periodic
from alexho_invoice_local.ports import PortInUseError, ensure_port_free, is_address_in_use
from alexho_invoice_local.process_tuning import FullCollections, tune_for_latency
from alexho_invoice_local.settings import url_host

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

_SERVICE = "AWS endpoint (moto)"
_START_TIMEOUT_SECONDS = 60.0
#: moto's process collects every 5 s, walking only what was made since the last collection (its
#: tables' items are frozen once they survive one), and walks everything once an hour: a full
#: walk of a 10-minute event log held moto for 40 to 140 ms every 30 s, and grew with the log.
MOTO_COLLECTION_SECONDS = 5.0
MOTO_THAW_EVERY = 720


class MotoBackend:
    """Serves moto on ``host:port`` (0: a free port) in a child process or a thread, and
    deletes expired items from its tables every ``expiry_seconds`` (:mod:`.ttl_expiry`)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        in_process: bool = False,
        forwarded_ports: tuple[int, ...] = (),
        expiry_seconds: float = EXPIRY_SECONDS,
    ) -> None:
        self._host = host
        self._requested_port = port
        self._in_process = in_process
        #: Loopback ports that forward to moto, accepted in ``Host`` besides its own.
        self._forwarded_ports = forwarded_ports
        self._thread_server: _ReportingMotoServer | None = None
        self._child: multiprocessing.process.BaseProcess | None = None
        self._control: Connection | None = None
        self._control_lock = threading.Lock()
        self._port: int | None = None
        #: How often expired items are deleted (DynamoDB TTL), in the process that serves moto.
        self._expiry_seconds = expiry_seconds
        self._expiry: Periodic | None = None

    def start(self) -> None:
        """Start serving empty backends; raises :class:`PortInUseError` when the port is taken."""
        ensure_port_free(_SERVICE, self._host, self._requested_port)
        if self._in_process:
            self._port = _start_thread_server(self)
            self._expiry = ttl_expiry(self._expiry_seconds)
            self._expiry.start()
        else:
            self._port = self._start_child()
        # In a thread, moto's backends are this process's: start from an empty account.
        self.reset()

    def _start_child(self) -> int:
        context = multiprocessing.get_context("spawn")
        parent_end, child_end = context.Pipe()
        self._control = parent_end
        self._child = context.Process(
            target=_serve_in_child,
            args=(
                self._host,
                self._requested_port,
                child_end,
                self._forwarded_ports,
                self._expiry_seconds,
            ),
            name="moto-server",
            daemon=True,
        )
        self._child.start()
        child_end.close()
        if not parent_end.poll(_START_TIMEOUT_SECONDS):
            self.stop()
            raise RuntimeError("moto did not start in time")
        try:
            status, value = parent_end.recv()
        except EOFError:
            self.stop()
            raise RuntimeError(
                "moto's process ended before it was ready (its error is above); a script that "
                'starts the stack must do so under `if __name__ == "__main__":`, since each '
                "child process imports the script again"
            ) from None
        if status == "in-use":
            self.stop()
            raise PortInUseError(_SERVICE, self._host, self._requested_port)
        if status != "ready":
            self.stop()
            raise RuntimeError(f"moto failed to start: {value}")
        return int(value)

    @property
    def endpoint_url(self) -> str:
        """``http://host:port`` of the running server."""
        return f"http://{url_host(self._host)}:{self._port}"

    def expire_items(self, now: float | None = None) -> int:
        """Delete the items whose TTL is before ``now`` at once, in the process that serves
        moto (:func:`~alexho_invoice_local.aws.ttl_expiry.expire_items`); how many."""
        if self._thread_server is not None:
            return expire_items(now)
        if self._control is None:
            raise RuntimeError("moto is not running")
        with self._control_lock:
            self._control.send(("expire", now))
            return int(self._control.recv())

    def reset(self) -> None:
        """Forget every resource moto holds (``POST /moto-api/reset``)."""
        url = f"{self.endpoint_url}/moto-api/reset"
        request = urllib.request.Request(url, method="POST")  # noqa: S310 - http on loopback
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            response.read()

    def stop(self) -> None:
        """Stop serving (emptying this process's backends when moto runs in a thread)."""
        if self._expiry is not None:
            self._expiry.stop()
            self._expiry = None
        if self._thread_server is not None:
            with contextlib.suppress(OSError):
                self.reset()
            self._thread_server.stop()
            self._thread_server = None
        if self._child is not None:
            if self._control is not None:
                with self._control_lock, contextlib.suppress(OSError):
                    self._control.send(("stop", None))
                self._control.close()
                self._control = None
            self._child.join(10)
            if self._child.is_alive():
                self._child.kill()
                self._child.join()
            self._child = None


def _start_thread_server(backend: MotoBackend) -> int:
    # werkzeug logs every request line to stderr; the stack's own output says what matters.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = _ReportingMotoServer(
        ip_address=backend._host,
        port=backend._requested_port,
        forwarded_ports=backend._forwarded_ports,
    )
    server.start()
    if server.startup_error is not None:
        if is_address_in_use(server.startup_error):
            raise PortInUseError(_SERVICE, backend._host, backend._requested_port)
        raise server.startup_error
    backend._thread_server = server
    return server.get_host_and_port()[1]


def _serve_in_child(
    host: str,
    port: int,
    control: Connection,
    forwarded_ports: tuple[int, ...] = (),
    expiry_seconds: float = EXPIRY_SECONDS,
) -> None:
    """Child process: serve, and expire items, until the parent says stop or disappears (its
    pipe closes); expire at once when the parent asks."""
    # Ctrl-C reaches the whole process group: the parent decides when moto stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    tune_for_latency()
    moto_speedups.install()
    moto_memory.install()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = _ReportingMotoServer(ip_address=host, port=port, forwarded_ports=forwarded_ports)
    server.start()
    error = server.startup_error
    if error is not None:
        control.send(("in-use" if is_address_in_use(error) else "error", repr(error)))
        return
    control.send(("ready", server.get_host_and_port()[1]))
    collections = FullCollections(MOTO_COLLECTION_SECONDS, thaw_every=MOTO_THAW_EVERY)
    expiry = ttl_expiry(expiry_seconds)
    expiry.start()
    with collections, contextlib.suppress(EOFError, OSError):
        while (message := control.recv())[0] == "expire":
            control.send(expire_items(message[1]))
    expiry.stop()
    server.stop()


class _OneDynamoDbRequestAtATime:
    """WSGI middleware: moto's DynamoDB backend is not thread-safe. A request that walks a table
    (``Query`` and ``Scan`` sort it whole; ``TransactWriteItems`` deep-copies the tables it
    writes) fails with "dictionary changed size during iteration" while another request thread
    writes to it, and the caller (a fan-out, say) fails and is retried. DynamoDB
    requests (``X-Amz-Target: DynamoDB_...``) are served one at a time (moto holds the
    interpreter lock for nearly all of a request anyway); the others, SQS long polls among them,
    are not held back."""

    def __init__(self, app: WSGIApplication) -> None:
        self._app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            return self._app(environ, start_response)
        with DYNAMODB_LOCK:
            body = self._app(environ, start_response)
            try:
                return list(body)
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()


def backend_app(service: str) -> Flask:
    """moto's Flask app of ``service``, out of Flask's debug mode, which moto turns on: in it,
    Flask makes a new class for every request's form data (to explain a missing file upload),
    two dozen objects in reference cycles that only a full collection frees. An error in moto
    is still answered with a 500."""
    app = create_backend_app(service)  # type: ignore[arg-type]
    app.debug = False
    return app


class _ReportingMotoServer(ThreadedMotoServer):
    """Records a bind failure (the base class would leave ``start()`` waiting forever), serves
    DynamoDB one request at a time (:class:`_OneDynamoDbRequestAtATime`) and local programs
    only (:class:`~alexho_invoice_local.aws.moto_guard.LoopbackOnly`)."""

    def __init__(self, forwarded_ports: tuple[int, ...] = (), **kwargs: Any) -> None:
        super().__init__(verbose=False, **kwargs)
        self.startup_error: BaseException | None = None
        self._forwarded_ports = forwarded_ports

    def _server_entry(self) -> None:
        try:
            app = LoopbackOnly(
                _OneDynamoDbRequestAtATime(DomainDispatcherApplication(backend_app)),
                self._forwarded_ports,
            )
            self._server = make_server(
                self._ip_address,
                self._port,
                app,
                True,
                request_handler=keep_alive.request_handler(),
            )
            app.port = self._server.server_port
            self._server_ready_event.set()
            self._server.serve_forever()
        except BaseException as error:  # the thread must always release start()
            self.startup_error = error
            self._server_ready_event.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server_entry, name="moto-server", daemon=True)
        self._thread.start()
        self._server_ready_event.wait()

    def stop(self) -> None:
        if self.startup_error is None:
            super().stop()
