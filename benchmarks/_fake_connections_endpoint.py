"""Shared pieces of the fan-out benchmarks: a fake ``@connections`` endpoint (optionally with
moto's server) in its own process, and a way to run the real handler and read its report.

The endpoint process keeps its CPU out of the process being measured:

    python -m benchmarks._fake_connections_endpoint --latency-ms 10 20 --cpu 1 --moto

It serves HTTP/1.1 with keep-alive on loopback (asyncio streams, one coroutine per client
connection, so that the endpoint's core is not what limits the poster). Every
``POST /<stage>/@connections/<id>`` sleeps a uniform random latency and answers 200, or 403
when its SigV4 shape is wrong for ``execute-api`` (the check of the local stack's Management
API), so an unsigned post cannot pass for a delivered one; ``GET /_stats`` returns
``{"posts": n}`` and ``POST /_reset`` zeroes it. With ``--moto``, a ``ThreadedMotoServer``
runs in the same process. It prints one JSON line ``{"endpoint": <callback url>, "moto": <url
or null>}`` once ready, then serves until its stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import logging
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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
_REASONS: Final = {200: "OK", 204: "No Content", 403: "Forbidden", 404: "Not Found"}


class _Endpoint:
    """HTTP/1.1 keep-alive on asyncio streams: one coroutine per client connection, so that
    one core answers thousands of posts a second and the latency is an ``asyncio.sleep``."""

    def __init__(self, low: float, high: float) -> None:
        self.posts = 0
        self._low, self._high = low, high
        self._prefix = f"/{STAGE}/@connections/"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answer requests on one connection until the client closes it."""
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                request_line, *header_lines = head.split("\r\n")
                method, path, _version = request_line.split(" ", 2)
                headers: dict[str, str] = {}
                for line in header_lines:
                    name, _, value = line.partition(":")
                    if name:
                        headers[name.strip().lower()] = value.strip()
                await reader.readexactly(int(headers.get("content-length", "0")))
                status, body = await self._respond(method, path, headers)
                reply = (
                    f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n"
                )
                writer.write(reply.encode() + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # the client closed its connection, or the endpoint is stopping
        finally:
            writer.close()

    async def _respond(self, method: str, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        if method == "GET" and path == "/_stats":
            return 200, json.dumps({"posts": self.posts}).encode()
        if method == "POST" and path == "/_reset":
            self.posts = 0
            return 204, b""
        if method != "POST" or not path.startswith(self._prefix):
            return 404, b'{"message":"NotFoundException"}'
        problem = signature_problem(headers, REGION)
        if problem is not None:
            return 403, json.dumps({"message": problem.message}).encode()
        await asyncio.sleep(random.uniform(self._low, self._high))
        self.posts += 1
        return 200, b""


async def _serve_until_stdin_closes(endpoint: _Endpoint, moto_url: str | None) -> None:
    server = await asyncio.start_server(endpoint.serve, "127.0.0.1", 0, backlog=256)
    host, port = server.sockets[0].getsockname()[:2]
    print(json.dumps({"endpoint": f"http://{host!s}:{port}/{STAGE}", "moto": moto_url}))
    sys.stdout.flush()
    await asyncio.to_thread(sys.stdin.read)
    server.close()


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
    low, high = (v / 1000 for v in args.latency_ms)
    asyncio.run(_serve_until_stdin_closes(_Endpoint(low, high), moto_url))


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
