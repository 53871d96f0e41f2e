"""Shared pieces of the fan-out benchmarks: a fake ``@connections`` endpoint (optionally with
moto's server) in its own process, and a way to run the real handler and read its report.

The endpoint process keeps its CPU out of the process being measured:

    python -m benchmarks._fake_connections_endpoint --latency-ms 10 20 --cpu 1 --moto

It serves HTTP/1.1 with keep-alive on loopback (one thread per client connection, as a pooled
boto3 client expects). Every ``POST /<stage>/@connections/<id>`` sleeps a uniform random
latency and answers 200, or 403 when its SigV4 shape is wrong for ``execute-api`` (the check of
the local stack's Management API), so an unsigned post cannot pass for a delivered one;
``GET /_stats`` returns ``{"posts": n}`` and ``POST /_reset`` zeroes it. With ``--moto``, a
``ThreadedMotoServer`` runs in the same process. It prints one JSON line
``{"endpoint": <callback url>, "moto": <url or null>}`` once ready, then serves until its stdin
closes.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final

from alexho_invoice_local.gateway.sigv4_shape import signature_problem

STAGE: Final = "bench"
REGION: Final = "eu-west-1"
REPO: Final = Path(__file__).resolve().parent.parent
CONNECTIONS_TABLE: Final = "bench-WebSocketConnections"
EVENT_LOG_TABLE: Final = "bench-InvoiceEventLog"
REVOCATIONS_TABLE: Final = "bench-WebSocketRevocations"


# --- The endpoint process ------------------------------------------------------------------
class _Stats:
    def __init__(self) -> None:
        self.posts = 0
        self.lock = threading.Lock()


def _handler(stats: _Stats, low: float, high: float) -> type[BaseHTTPRequestHandler]:
    prefix = f"/{STAGE}/@connections/"

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """No access log."""

        def _reply(self, status: int, body: bytes = b"") -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path == "/_reset":
                with stats.lock:
                    stats.posts = 0
                self._reply(204)
                return
            if not self.path.startswith(prefix):
                self._reply(404, b'{"message":"NotFoundException"}')
                return
            headers = {name.lower(): value for name, value in self.headers.items()}
            problem = signature_problem(headers, REGION)
            if problem is not None:
                self._reply(403, json.dumps({"message": problem.message}).encode())
                return
            time.sleep(random.uniform(low, high))
            with stats.lock:
                stats.posts += 1
            self._reply(200)

        def do_GET(self) -> None:
            with stats.lock:
                body = json.dumps({"posts": stats.posts}).encode()
            self._reply(200, body)

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().server_bind()


def main() -> None:
    """Run the endpoint (and moto) until stdin closes."""
    parser = argparse.ArgumentParser(description="fake @connections endpoint")
    parser.add_argument("--latency-ms", nargs=2, type=float, default=(10.0, 20.0))
    parser.add_argument("--cpu", type=int, default=None, help="pin this process to one core")
    parser.add_argument("--moto", action="store_true", help="also run a ThreadedMotoServer")
    args = parser.parse_args()
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    moto_url: str | None = None
    if args.moto:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log per request
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        moto.start()
        moto_host, moto_port = moto.get_host_and_port()
        moto_url = f"http://{moto_host}:{moto_port}"
    stats = _Stats()
    low, high = (v / 1000 for v in args.latency_ms)
    server = _Server(("127.0.0.1", 0), _handler(stats, low, high))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    print(json.dumps({"endpoint": f"http://{host!s}:{port}/{STAGE}", "moto": moto_url}))
    sys.stdout.flush()
    sys.stdin.read()
    server.shutdown()


# --- The measuring process -----------------------------------------------------------------
@dataclass(frozen=True)
class Backend:
    """URLs of a running endpoint process."""

    endpoint: str
    moto: str | None

    def posts(self) -> int:
        """Posts the endpoint has accepted since the last :meth:`reset`."""
        with urllib.request.urlopen(f"{self.endpoint.rsplit('/', 1)[0]}/_stats") as response:
            return int(json.load(response)["posts"])

    def reset(self) -> None:
        """Zero the endpoint's post counter."""
        url = f"{self.endpoint.rsplit('/', 1)[0]}/_reset"
        urllib.request.urlopen(urllib.request.Request(url, method="POST")).close()


@contextlib.contextmanager
def running_backend(
    latency_ms: tuple[float, float], cpu: int | None = None, moto: bool = False
) -> Iterator[Backend]:
    """The endpoint (and moto) in a child process for the duration of the block."""
    command = [sys.executable, "-m", "benchmarks._fake_connections_endpoint", "--latency-ms"]
    command += [str(latency_ms[0]), str(latency_ms[1])]
    command += [] if cpu is None else ["--cpu", str(cpu)]
    command += ["--moto"] if moto else []
    process = subprocess.Popen(
        command, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        urls = json.loads(process.stdout.readline())
        yield Backend(endpoint=urls["endpoint"], moto=urls["moto"])
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a busy machine: do not leave it running
            process.kill()
            process.wait()


def configure_handler_environment(backend: Backend) -> None:
    """Fake credentials, the tables' names, and the backend's URLs for the handler."""
    from alexho_invoice_runtime.definitions import Env

    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": REGION,
            Env.CONNECTIONS_TABLE: CONNECTIONS_TABLE,
            Env.EVENT_LOG_TABLE: EVENT_LOG_TABLE,
            Env.REVOCATIONS_TABLE: REVOCATIONS_TABLE,
            Env.CALLBACK_URL: backend.endpoint,
        }
    )
    if backend.moto:
        os.environ[Env.AWS_ENDPOINT_URL] = backend.moto
    else:
        os.environ.pop(Env.AWS_ENDPOINT_URL, None)


def create_tables() -> Any:
    """Create the tables; returns the connections ``Table`` resource."""
    import boto3

    from alexho_invoice_runtime.definitions import (
        connections_table_definition,
        event_log_table_definition,
        revocations_table_definition,
    )

    client = boto3.client("dynamodb")
    client.create_table(**connections_table_definition(CONNECTIONS_TABLE))
    client.create_table(**event_log_table_definition(EVENT_LOG_TABLE))
    client.create_table(**revocations_table_definition(REVOCATIONS_TABLE))
    return boto3.resource("dynamodb").Table(CONNECTIONS_TABLE)


def store_connections(table: Any, identities: list[Any], first_index: int) -> list[str]:
    """One connection row per identity, written with ``batch_writer``; returns their ids."""
    from alexho_invoice_runtime.connections import Connection, expires_at

    now_ms = int(time.time() * 1000)
    ids = [f"conn{first_index + offset:08d}=" for offset in range(len(identities))]
    with table.batch_writer() as batch:
        for connection_id, identity in zip(ids, identities, strict=True):
            item = Connection(
                connection_id,
                identity,
                now_ms,
                expires_at(now_ms),
                token_expires_at=now_ms // 1000 + 3600,
                token_issued_at=now_ms // 1000,
            ).to_item()
            batch.put_item(Item=item)
    return ids


class HandlerRunner:
    """Runs ``send_invoice_update.handler`` and returns the log line of each delivery."""

    def __init__(self) -> None:
        from alexho_invoice_runtime.handlers.send_invoice_update import handler

        self._handler: Callable[[dict[str, Any], Any], dict[str, int]] = handler
        self._logs = io.StringIO()
        for log_handler in logging.getLogger("alexho_invoice_runtime").handlers:
            if isinstance(log_handler, logging.StreamHandler):
                log_handler.setStream(self._logs)

    def deliver(self, event: dict[str, Any]) -> tuple[dict[str, Any], float, float]:
        """Publish ``event`` in one SNS record: (report log line, wall s, this process's CPU s)."""
        from alexho_invoice_runtime.contract import encode_event

        invocation = {
            "Records": [{"Sns": {"MessageId": event["id"], "Message": encode_event(event)}}]
        }
        self._logs.seek(0)
        self._logs.truncate()
        with contextlib.redirect_stdout(io.StringIO()):  # the EMF document
            wall, cpu = time.perf_counter(), time.process_time()
            self._handler(invocation, None)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        [line] = [json.loads(x) for x in self._logs.getvalue().splitlines() if "fanned out" in x]
        report: dict[str, Any] = line
        return report, wall, cpu


if __name__ == "__main__":
    main()
