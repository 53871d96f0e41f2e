"""Soak of the local stack: does it hold up for a working day?

Starts ``alexho-local up`` in its own process and, for ``--duration`` seconds (an hour by
default), keeps ``--clients`` clients churning (each connection lives 5 to 30 s, then the
client reconnects and resumes from its last cursor; a share of them abandons a handshake first,
closing the TCP socket before the 101), publishes ``--rate`` events per second through the
publisher SDK, and keeps five witness clients connected all along. Then every client leaves.

Prints the resident memory of each process of the stack (the gateway process, moto, the fan-out
containers) with its slope over the run and after the warm-up; the p50 and p99 of delivery
(publish → a witness receives it), connect (handshake) and resume (request → ``resume-end``)
latency in the first and the last tenth of the run; the connection rows left once the clients
have gone (orphans); and anything lost, duplicated or misrouted. Exit code 1 when anything was
lost or misrouted or rows were left; the timing targets are printed only.

    python -m benchmarks.local_soak                                  # an hour
    python -m benchmarks.local_soak --duration 900 --clients 200     # 15 minutes
    python -m benchmarks.local_soak --duration 30 --clients 12       # the smoke run

The stack runs with a 10-minute resume window (``--retention``; ``up``'s default is an hour),
so the event log reaches its steady size, and moto its steady memory, early in the hour.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import os
import random
import socket
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from websockets.exceptions import InvalidHandshake

from alexho_invoice_local.aws.clients import client_args
from alexho_invoice_local.aws.publishing import local_publisher
from alexho_invoice_local.cli.client import InvoiceStreamClient, StreamClosedError
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_local.tokens import LocalTokens
from alexho_invoice_runtime.definitions import SUBPROTOCOL
from benchmarks.local_fanout_latency import (
    EVENT_MIX,
    RESOURCE_TRACKER,
    raise_open_file_limit,
    start_stack,
    stop_stack,
)
from benchmarks.soak_series import (
    Series,
    p99_by_tenth,
    slope_per_hour,
    tenth_of,
    tenth_percentiles,
)

#: Targets of the soak (issue 18): flat memory after warm-up, latency that does not drift.
FLAT_MB_PER_HOUR = 10.0
P99_DRIFT = 1.2
WITNESS_PING_SECONDS = 60.0
WITNESS_REFRESH_SECONDS = 20 * 60.0
RESUME_TIMEOUT_SECONDS = 30.0
PROGRESS_SECONDS = 300.0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=3600.0, help="seconds (default 3600)")
    parser.add_argument("--clients", type=int, default=200, help="churning clients at a time")
    parser.add_argument("--rate", type=float, default=2.0, help="events per second")
    parser.add_argument("--witnesses", type=int, default=5, help="clients connected all along")
    parser.add_argument("--min-life", type=float, default=5.0, help="seconds per connection")
    parser.add_argument("--max-life", type=float, default=30.0, help="seconds per connection")
    parser.add_argument("--customer-ids", type=int, default=20)
    parser.add_argument("--admin-share", type=float, default=0.1, help="of churning clients")
    parser.add_argument(
        "--abandon-share",
        type=float,
        default=0.05,
        help="connections that first abandon a handshake",
    )
    parser.add_argument("--retention", type=int, default=600, help="resume window, seconds")
    parser.add_argument("--sample-seconds", type=float, default=10.0, help="RSS sampling")
    parser.add_argument(
        "--settle-seconds",
        type=float,
        default=60.0,
        help="at most this long after the run for the last events to reach the witnesses",
    )
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument(
        "--stack-arg", action="append", default=[], help="extra `alexho-local up` argument"
    )
    parser.add_argument(
        "--keep-logs", type=Path, default=None, help="write the stack's logs to this folder"
    )
    return parser


@dataclass
class Client:
    """One logical client: a witness (one connection) or a churning one (many, resuming)."""

    name: str
    customer_id: str | None  # None: an admin
    received: Counter[str] = field(default_factory=Counter)
    first_open: float | None = None
    last_close: float | None = None
    cursor: str | None = None
    misrouted: int = 0
    connections: int = 0
    abandoned: int = 0

    def may_see(self, event: tuple[str, str]) -> bool:
        customer_id, status = event
        return self.customer_id is None or (self.customer_id == customer_id and status != "DRAFT")


@dataclass
class Run:
    """Everything measured while the soak runs."""

    started: float
    duration: float
    published: dict[str, float] = field(default_factory=dict)  # event id → publish time
    visibility: dict[str, tuple[str, str]] = field(default_factory=dict)  # → (customer, status)
    delivery: Series = field(default_factory=Series)
    connect: Series = field(default_factory=Series)
    resume: Series = field(default_factory=Series)
    rss: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    #: Set once the last event is published, and once the witnesses have every event.
    publishing_done: asyncio.Event = field(default_factory=asyncio.Event)
    all_delivered: asyncio.Event = field(default_factory=asyncio.Event)

    def running(self) -> bool:
        return time.monotonic() < self.started + self.duration

    def at(self, moment: float) -> float:
        """Seconds since the start."""
        return moment - self.started


# --- the stack's processes -----------------------------------------------------------------


def stack_processes(root: int) -> dict[str, list[int]]:
    """The stack's processes by role: the gateway process, moto (its first child), the
    fan-out containers (its later children)."""
    children: list[tuple[int, int]] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == root and RESOURCE_TRACKER not in (entry / "cmdline").read_text():
                children.append((int(fields[19]), int(entry.name)))
    children.sort()
    pids = [pid for _, pid in children]
    return {"gateway": [root], "moto": pids[:1], "containers": pids[1:]}


def rss_mb(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def sample_memory(run: Run, root: int, every: float) -> None:
    """Record each role's RSS every ``every`` seconds; a progress line on stderr every 5 min."""
    reported = time.monotonic()
    while run.running():
        roles = stack_processes(root)
        sizes = {role: sum(rss_mb(pid) for pid in pids) for role, pids in roles.items()}
        sizes["stack total"] = sum(sizes.values())
        now = run.at(time.monotonic())
        for role, size in sizes.items():
            run.rss.setdefault(role, []).append((now, size))
        if time.monotonic() - reported >= PROGRESS_SECONDS:
            reported = time.monotonic()
            memory = ", ".join(f"{role} {size:.0f} MB" for role, size in sizes.items())
            print(f"[{now:.0f} s] {len(run.published)} events; {memory}", file=sys.stderr)
        await asyncio.sleep(every)


# --- load ----------------------------------------------------------------------------------


@dataclass
class Soak:
    """What every task of the load shares."""

    args: argparse.Namespace
    endpoints: StackEndpoints
    tokens: LocalTokens
    run: Run
    customer_ids: list[str]
    failures: Counter[str] = field(default_factory=Counter)

    def token(self, client: Client) -> str:
        if client.customer_id is None:
            return self.tokens.admin(client.name)
        return self.tokens.customer(client.customer_id, client.name)


async def publish_events(soak: Soak) -> None:
    """Publish at the steady rate until the run ends (one customer id has no listener)."""
    run, rate = soak.run, soak.args.rate
    publisher = local_publisher(soak.endpoints, "soak")
    rng = random.Random(soak.args.seed)
    targets = [*soak.customer_ids, "cust-nobody"]
    index = 0
    while run.running():
        await asyncio.sleep(max(0.0, run.started + index / rate - time.monotonic()))
        event_type, status = rng.choice(EVENT_MIX)
        customer_id = rng.choice(targets)
        event_id = str(uuid.uuid4())
        run.visibility[event_id] = (customer_id, status)
        run.published[event_id] = time.monotonic()
        await asyncio.to_thread(
            publisher.publish,
            event_type,
            f"inv-{index % 97}",
            customer_id,
            {"status": status, "version": index},
            event_id=event_id,
        )
        index += 1
    run.publishing_done.set()


def record_frames(run: Run, client: Client, stream: InvoiceStreamClient, *, witness: bool) -> None:
    """Take the event frames ``stream`` received since the last call."""
    frames, stream.frames[:] = list(stream.frames), []
    for frame in frames:
        event = frame.event
        if event is None:
            continue
        event_id = str(event.get("id"))
        client.received[event_id] += 1
        client.cursor = str(frame.frame.get("cursor") or "") or client.cursor
        visibility = run.visibility.get(event_id)
        if visibility is not None and not client.may_see(visibility):
            client.misrouted += 1
        published = run.published.get(event_id)
        if witness and published is not None and client.received[event_id] == 1:
            run.delivery.add(run.at(published), (frame.received_monotonic - published) * 1000)


def abandon_handshake(url: str, token: str) -> None:
    """Send a WebSocket handshake and close the TCP socket without waiting for the 101."""
    address = urlsplit(url)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET / HTTP/1.1\r\nHost: {address.netloc}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Sec-WebSocket-Protocol: {SUBPROTOCOL}, {token}\r\n\r\n"
    )
    with socket.create_connection((address.hostname, address.port), timeout=5) as sock:
        sock.sendall(request.encode())


async def resume(
    run: Run, client: Client, stream: InvoiceStreamClient, *, measured: bool = True
) -> None:
    """Replay what the client missed since its last cursor (or since it first connected)."""
    assert client.first_open is not None
    started = time.monotonic()
    request: dict[str, Any] = (
        {"action": "resume", "after": client.cursor}
        if client.cursor
        else {
            "action": "resume",
            "since": int((time.time() - (started - client.first_open)) * 1000),
        }
    )
    while True:
        await stream.send(request)
        frame = await stream.next_frame(RESUME_TIMEOUT_SECONDS)
        while frame.frame.get("type") != "resume-end":
            frame = await stream.next_frame(RESUME_TIMEOUT_SECONDS)
        if not frame.frame.get("more"):
            break
        request = {"action": "resume", "after": frame.frame["cursor"]}
    if measured:
        run.resume.add(run.at(started), (time.monotonic() - started) * 1000)


async def connect(
    soak: Soak, client: Client, *, measured: bool = True
) -> InvoiceStreamClient | None:
    """Open one connection (measuring the handshake); ``None`` when it failed."""
    started = time.monotonic()
    stream = InvoiceStreamClient(soak.endpoints.websocket_url, soak.token(client), open_timeout=60)
    try:
        await stream.__aenter__()
    except (OSError, TimeoutError, InvalidHandshake) as error:
        soak.failures[f"connect: {type(error).__name__}"] += 1
        return None
    if measured:
        soak.run.connect.add(soak.run.at(started), (time.monotonic() - started) * 1000)
        client.connections += 1
    return stream


async def churn(soak: Soak, client: Client) -> None:
    """Connect, resume, live 5 to 30 s, close; again until the run ends."""
    args, run = soak.args, soak.run
    rng = random.Random(f"{args.seed}-{client.name}")
    await asyncio.sleep(rng.uniform(0, args.max_life))
    while run.running():
        if rng.random() < args.abandon_share:
            client.abandoned += 1
            token = soak.token(client)
            try:
                await asyncio.to_thread(abandon_handshake, soak.endpoints.websocket_url, token)
            except OSError as error:  # refused or timed out: counted, the run goes on
                soak.failures[f"abandoned handshake: {type(error).__name__}"] += 1
        stream = await connect(soak, client)
        if stream is None:
            await asyncio.sleep(1.0)
            continue
        try:
            if client.first_open is None:
                client.first_open = time.monotonic()
            else:
                await resume(run, client, stream)
            life_ends = time.monotonic() + rng.uniform(args.min_life, args.max_life)
            while run.running() and time.monotonic() < life_ends:
                record_frames(run, client, stream, witness=False)
                await asyncio.sleep(0.5)
        except (StreamClosedError, TimeoutError) as error:
            soak.failures[f"connection: {type(error).__name__}"] += 1
        finally:
            await stream.close()
            record_frames(run, client, stream, witness=False)
            client.last_close = time.monotonic()
    await run.all_delivered.wait()
    await catch_up(soak, client)


async def catch_up(soak: Soak, client: Client) -> None:
    """Once every event is in the event log: connect once more and resume, so that the client
    has had every event it may see since it first connected (not measured)."""
    if client.first_open is None:
        return
    stream = await connect(soak, client, measured=False)
    if stream is None:
        return
    try:
        await resume(soak.run, client, stream, measured=False)
    except (StreamClosedError, TimeoutError) as error:
        soak.failures[f"final resume: {type(error).__name__}"] += 1
    finally:
        await stream.close()
        record_frames(soak.run, client, stream, witness=False)


async def witness(soak: Soak, client: Client) -> None:
    """One connection all along: pings within the idle timeout, refreshes its token."""
    run = soak.run
    ends = run.started + run.duration + soak.args.settle_seconds
    async with InvoiceStreamClient(soak.endpoints.websocket_url, soak.token(client)) as stream:
        client.first_open = pinged = refreshed = time.monotonic()
        while time.monotonic() < ends:
            record_frames(run, client, stream, witness=True)
            if run.publishing_done.is_set() and not missing(run, client):
                break
            if time.monotonic() - pinged > WITNESS_PING_SECONDS:
                await stream.send({"action": "ping"})
                pinged = time.monotonic()
            if time.monotonic() - refreshed > WITNESS_REFRESH_SECONDS:
                await stream.send({"action": "refresh", "token": soak.token(client)})
                refreshed = time.monotonic()
            await asyncio.sleep(0.2)
        record_frames(run, client, stream, witness=True)
    client.last_close = time.monotonic()


def missing(run: Run, client: Client) -> set[str]:
    """Events published so far that ``client`` may see and has not received."""
    visible = {eid for eid, seen in run.visibility.items() if client.may_see(seen)}
    return visible - client.received.keys()


async def deliveries_settled(run: Run, witnesses: list[asyncio.Task[None]]) -> None:
    """Let the churning clients catch up once the witnesses are done."""
    await asyncio.gather(*witnesses)
    run.all_delivered.set()


# --- results -------------------------------------------------------------------------------


@dataclass
class Losses:
    expected: int = 0
    lost: int = 0
    duplicated: int = 0
    misrouted: int = 0


def witness_losses(run: Run, witnesses: list[Client]) -> Losses:
    result = Losses()
    for client in witnesses:
        expected = {eid for eid, seen in run.visibility.items() if client.may_see(seen)}
        result.expected += len(expected)
        result.lost += len(expected - client.received.keys())
        result.duplicated += sum(count - 1 for count in client.received.values())
        result.misrouted += client.misrouted
    return result


def churner_losses(run: Run, churners: list[Client]) -> Losses:
    """Events each churning client should have received, live or through a resume, from its
    first connection on (it resumed once more after the run: nothing may be missing)."""
    result = Losses()
    for client in churners:
        if client.first_open is None:
            continue
        expected = {
            eid
            for eid, seen in run.visibility.items()
            if client.may_see(seen) and run.published[eid] >= client.first_open
        }
        result.expected += len(expected)
        result.lost += len(expected - client.received.keys())
        result.duplicated += sum(count - 1 for count in client.received.values())
        result.misrouted += client.misrouted
    return result


def dead_letters(endpoints: StackEndpoints) -> int:
    """Messages in the on-failure queue (fan-outs that failed three times)."""
    sqs = boto3.client("sqs", **client_args(endpoints.aws_endpoint_url, endpoints.region))
    attributes = sqs.get_queue_attributes(
        QueueUrl=endpoints.on_failure_queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def connection_rows(endpoints: StackEndpoints) -> int:
    dynamodb = boto3.client("dynamodb", **client_args(endpoints.aws_endpoint_url, endpoints.region))
    answer = dynamodb.scan(TableName=endpoints.connections_table, Select="COUNT")
    return int(answer["Count"])


async def orphan_rows(endpoints: StackEndpoints, wait: float = 15.0) -> int:
    """Connection rows still there once every client left (waiting for ``$disconnect``s)."""
    deadline = time.monotonic() + wait
    rows = await asyncio.to_thread(connection_rows, endpoints)
    while rows and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        rows = await asyncio.to_thread(connection_rows, endpoints)
    return rows


def report(
    args: argparse.Namespace,
    soak: Soak,
    witnesses: Losses,
    churners: Losses,
    churning: list[Client],
    orphans: int,
) -> bool:
    """Print the tables; returns whether the functional targets were met."""
    run = soak.run
    warm_up = max(args.duration / 10, min(args.retention + 120.0, args.duration / 2))
    connections = sum(client.connections for client in churning)
    abandoned = sum(client.abandoned for client in churning)
    print(
        f"Local soak: {args.duration:.0f} s, {args.clients} churning clients "
        f"({args.min_life:.0f} to {args.max_life:.0f} s per connection), "
        f"{args.witnesses} witnesses, {args.rate} events/s, resume window {args.retention} s"
    )
    print(f"events published: {len(run.published)}")
    print(
        f"witness deliveries expected {witnesses.expected}: lost {witnesses.lost}, "
        f"duplicated {witnesses.duplicated}, misrouted {witnesses.misrouted}"
    )
    print(
        f"churning clients: {connections} connections, {abandoned} handshakes abandoned; "
        f"events expected {churners.expected}: lost {churners.lost}, misrouted "
        f"{churners.misrouted}, received twice (resume overlap) {churners.duplicated}"
    )
    print(f"orphan rows after the clients left: {orphans}")
    failures = ", ".join(f"{kind} {count}" for kind, count in sorted(soak.failures.items()))
    print(f"failures and dead letters: {failures or 'none'}")
    print()
    print(f"RSS (MB)       start  at {warm_up:.0f} s    end   slope MB/h  after warm-up MB/h")
    flat = True
    for role, samples in run.rss.items():
        after = [(t, size) for t, size in samples if t >= warm_up]
        at_warm = after[0][1] if after else float("nan")
        late_slope = slope_per_hour(after)
        flat = flat and (abs(late_slope) <= FLAT_MB_PER_HOUR if role == "stack total" else flat)
        print(
            f"{role:<13} {samples[0][1]:6.1f}  {at_warm:9.1f}  {samples[-1][1]:6.1f}  "
            f"{slope_per_hour(samples):10.1f}  {late_slope:18.1f}"
        )
    print()
    print("latency (ms)   first tenth p50 / p99   last tenth p50 / p99   last/first p99")
    drift_ok = True
    for name, series in (
        ("delivery", run.delivery),
        ("connect", run.connect),
        ("resume", run.resume),
    ):
        first, last = tenth_percentiles(series, args.duration)
        ratio = last[1] / first[1] if first[1] else float("nan")
        drift_ok = drift_ok and not ratio > P99_DRIFT
        print(
            f"{name:<13} {first[0]:9.1f} / {first[1]:7.1f}   {last[0]:8.1f} / {last[1]:7.1f}"
            f"   {ratio:14.2f}"
        )
    counts = Counter(tenth_of(at, args.duration) for at, _ in run.delivery.samples)
    print("witness deliveries by tenth: " + " ".join(str(counts[n]) for n in range(10)))
    for name, series in (
        ("delivery", run.delivery),
        ("connect", run.connect),
        ("resume", run.resume),
    ):
        by_tenth = p99_by_tenth(series, args.duration)
        print(f"{name} p99 by tenth (ms): " + " ".join(f"{p99:.0f}" for p99 in by_tenth))
    clean = witnesses.lost == witnesses.misrouted == churners.lost == churners.misrouted == 0
    print()
    print(f"target RSS flat after warm-up (|slope| <= {FLAT_MB_PER_HOUR:.0f} MB/h): {_yes(flat)}")
    print(
        f"target last-tenth p99 within {P99_DRIFT - 1:.0%} of the first tenth's: {_yes(drift_ok)}"
    )
    print(f"target 0 orphan rows: {_yes(orphans == 0)}")
    print(f"target nothing lost or misrouted: {_yes(clean)}")
    return clean and orphans == 0


def _yes(met: bool) -> str:
    return "met" if met else "MISSED"


async def soak(args: argparse.Namespace, endpoints: StackEndpoints, root: int) -> bool:
    rng = random.Random(args.seed)
    customer_ids = [f"cust-{n:03d}" for n in range(args.customer_ids)]
    witnesses = [
        Client(f"witness-{n}", None if n < 2 else customer_ids[n % len(customer_ids)])
        for n in range(args.witnesses)
    ]
    churning = [
        Client(
            f"churner-{n}",
            None if rng.random() < args.admin_share else rng.choice(customer_ids),
        )
        for n in range(args.clients)
    ]
    tokens = LocalTokens(endpoints, ttl_seconds=3600)
    state = Soak(args, endpoints, tokens, Run(time.monotonic() + 2.0, args.duration), customer_ids)
    watching = [asyncio.create_task(witness(state, client)) for client in witnesses]
    await asyncio.sleep(2.0)
    await asyncio.gather(
        sample_memory(state.run, root, args.sample_seconds),
        publish_events(state),
        *(churn(state, client) for client in churning),
        deliveries_settled(state.run, watching),
    )
    orphans = await orphan_rows(endpoints)
    state.failures["fan-outs dead-lettered"] = await asyncio.to_thread(dead_letters, endpoints)
    return report(
        args,
        state,
        witness_losses(state.run, witnesses),
        churner_losses(state.run, churning),
        churning,
        orphans,
    )


def main() -> int:
    args = build_parser().parse_args()
    raise_open_file_limit(4 * (args.clients + args.witnesses) + 256)
    with tempfile.TemporaryDirectory(prefix="alexho-soak-") as scratch:
        workdir = args.keep_logs or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        extra = ["--env", f"EVENT_RETENTION_SECONDS={args.retention}", *args.stack_arg]
        process, endpoints = start_stack(workdir, "WARNING", extra)
        try:
            clean = asyncio.run(soak(args, endpoints, process.pid))
        finally:
            stop_stack(process)
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
