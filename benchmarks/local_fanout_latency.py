"""Fan-out latency of the local stack: 1,000 WebSocket clients on loopback, 200 events.

Starts ``alexho-local up`` in its own process (the stack: moto, gateway, Management API and the
Lambda handlers), connects admins and customers of several customer ids from this process,
publishes a mix of event types and statuses (drafts included) through the publisher SDK at a
steady rate, and checks every delivery by event id: each expected (client, event) pair arrives
exactly once and nothing else arrives. Prints publish → receive latency percentiles and the
lost, duplicated and misrouted counts. Stops by itself (``--max-seconds``).

    python benchmarks/local_fanout_latency.py            # 1,000 clients, 200 events
    python benchmarks/local_fanout_latency.py --clients 200 --events 50
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from alexho_invoice_local.aws.publishing import local_publisher
from alexho_invoice_local.cli.client import InvoiceStreamClient
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_local.tokens import LocalTokens
from alexho_invoice_runtime.contract import EventType

TARGET_P99_MS = 250.0
#: multiprocessing's helper process among the stack's children (not part of the stack).
RESOURCE_TRACKER = "multiprocessing.resource_tracker"
#: (event type, status) pairs the backend publishes; drafts reach admins only.
EVENT_MIX = (
    (EventType.INVOICE_CREATED, "DRAFT"),
    (EventType.INVOICE_UPDATED, "DRAFT"),
    (EventType.INVOICE_SENT, "SENT"),
    (EventType.INVOICE_UPDATED, "SENT"),
    (EventType.INVOICE_PAID, "PAID"),
    (EventType.PAYMENT_RECORDED, "PAID"),
)


@dataclass
class Listener:
    """One benchmark client and what it should receive."""

    name: str
    customer_id: str | None  # None: an admin
    client: InvoiceStreamClient | None = None
    expected: set[str] = field(default_factory=set)

    def should_see(self, customer_id: str, status: str) -> bool:
        return self.customer_id is None or (self.customer_id == customer_id and status != "DRAFT")


def parse_args() -> argparse.Namespace:
    return build_parser(__doc__.splitlines()[0]).parse_args()


def build_parser(description: str) -> argparse.ArgumentParser:
    """The load's options (shared with ``local_fanout_faults``)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument(
        "--admins", type=int, default=20, help="of --clients; the rest are customers"
    )
    parser.add_argument(
        "--customer-ids", type=int, default=50, help="customers are spread over these"
    )
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--rate", type=float, default=5.0, help="events published per second")
    parser.add_argument("--connect-concurrency", type=int, default=50)
    parser.add_argument(
        "--warm-up-events", type=int, default=6, help="published before the clients connect"
    )
    parser.add_argument("--settle-seconds", type=float, default=20.0, help="wait for stragglers")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="hard stop")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, default=None, help="keep the stack's logs here")
    parser.add_argument("--stack-log-level", default="WARNING", help="of the Lambda handlers")
    parser.add_argument(
        "--stack-arg",
        action="append",
        default=[],
        help="extra `alexho-local up` argument, e.g. --stack-arg=--env=FANOUT_WORKERS=8",
    )
    return parser


def raise_open_file_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < needed:
        sys.exit(f"need {needed} open files; raise `ulimit -n` (hard limit {hard})")


_PR_SET_PDEATHSIG = 1  # from linux/prctl.h


def _stop_with_this_process() -> None:
    """In the stack's process before it runs: Linux sends it SIGINT (as Ctrl-C would) when
    the thread that started it ends, the benchmark's ``kill -9`` included, so no stack
    outlives its run."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGINT)


def start_stack(
    workdir: Path, log_level: str, extra: list[str]
) -> tuple[subprocess.Popen[bytes], StackEndpoints]:
    """``alexho-local up`` in a process of its own that stops when this one ends; its
    endpoints once it serves."""
    state_file = workdir / "state.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "alexho_invoice_local",
            "--state-file",
            str(state_file),
            "up",
            "--port",
            "0",
            "--log-level",
            log_level,
            "--lambda-logs",
            str(workdir / "lambda.log"),
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "stack.err").open("wb"),
        preexec_fn=_stop_with_this_process,
    )
    deadline = time.monotonic() + 60
    while not state_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            sys.exit(f"the stack did not start; see {workdir / 'stack.err'}")
        time.sleep(0.1)
    time.sleep(0.2)
    return process, StackEndpoints.from_json(state_file.read_text())


def stop_stack(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def connect_all(
    endpoints: StackEndpoints, listeners: list[Listener], concurrency: int
) -> None:
    tokens = LocalTokens(endpoints, ttl_seconds=3600)
    gate = asyncio.Semaphore(concurrency)

    async def connect(listener: Listener) -> None:
        token = (
            tokens.admin(listener.name)
            if listener.customer_id is None
            else tokens.customer(listener.customer_id, listener.name)
        )
        async with gate:
            client = InvoiceStreamClient(endpoints.websocket_url, token, open_timeout=60)
            listener.client = await client.__aenter__()

    await asyncio.gather(*(connect(listener) for listener in listeners))


async def publish_all(
    endpoints: StackEndpoints,
    plan: list[tuple[EventType, str, str]],
    rate: float,
) -> dict[str, float]:
    """Publish at a steady rate; returns event id → monotonic time just before publishing."""
    publisher = local_publisher(endpoints, "benchmark")
    published: dict[str, float] = {}
    started = time.monotonic()
    for index, (event_type, customer_id, status) in enumerate(plan):
        await asyncio.sleep(max(0.0, started + index / rate - time.monotonic()))
        event_id = str(uuid.uuid4())
        published[event_id] = time.monotonic()
        await asyncio.to_thread(
            publisher.publish,
            event_type,
            f"inv-{index % 37}",
            customer_id,
            {"status": status, "version": index},
            event_id=event_id,
        )
    return published


@dataclass(frozen=True)
class StackCpu:
    """CPU seconds so far of the stack's processes."""

    gateway: float  # gateway, Management API, route handlers
    moto: float  # the first child the stack starts
    containers: float  # the fan-out containers (every later child)

    def __sub__(self, other: StackCpu) -> StackCpu:
        return StackCpu(
            self.gateway - other.gateway,
            self.moto - other.moto,
            self.containers - other.containers,
        )


def stack_cpu(root: int) -> StackCpu:
    """User + system CPU of the stack process and its children (Linux ``/proc``)."""
    ticks = os.sysconf("SC_CLK_TCK")
    children: list[tuple[int, float]] = []  # (start time, cpu seconds)
    own = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        cpu = (int(fields[11]) + int(fields[12])) / ticks
        if int(entry.name) == root:
            own = cpu
        elif int(fields[1]) == root:
            with contextlib.suppress(OSError):
                if RESOURCE_TRACKER in (entry / "cmdline").read_text():
                    continue
            children.append((int(fields[19]), cpu))
    children.sort()
    moto = children[0][1] if children else 0.0
    return StackCpu(own, moto, sum(cpu for _, cpu in children[1:]))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@dataclass
class Tally:
    """What arrived, checked against what should have."""

    expected: int = 0
    lost: int = 0
    duplicated: int = 0
    misrouted: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return self.lost == self.duplicated == self.misrouted == 0


def make_listeners(args: argparse.Namespace) -> list[Listener]:
    customer_ids = [f"cust-{n:03d}" for n in range(args.customer_ids)]
    admins = [Listener(f"admin-{n}", None) for n in range(args.admins)]
    customers = [
        Listener(f"user-{n}", customer_ids[n % len(customer_ids)])
        for n in range(args.clients - args.admins)
    ]
    return admins + customers


def make_plan(args: argparse.Namespace) -> list[tuple[EventType, str, str]]:
    """Random (type, customer id, status) triples; one customer id has no listener at all."""
    rng = random.Random(args.seed)
    targets = [*(f"cust-{n:03d}" for n in range(args.customer_ids)), "cust-nobody"]
    plan = []
    for _ in range(args.events):
        event_type, status = rng.choice(EVENT_MIX)
        plan.append((event_type, rng.choice(targets), status))
    return plan


async def wait_for_deliveries(listeners: list[Listener], total: int, settle: float) -> None:
    deadline = time.monotonic() + settle
    while time.monotonic() < deadline:
        arrived = sum(len(set(_ids(listener)) & listener.expected) for listener in listeners)
        if arrived >= total:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # anything unexpected still in flight shows up now


def tally(listeners: list[Listener], published: dict[str, float]) -> Tally:
    result = Tally(expected=sum(len(listener.expected) for listener in listeners))
    for listener in listeners:
        assert listener.client is not None
        counts = Counter(_ids(listener))
        result.duplicated += sum(count - 1 for count in counts.values() if count > 1)
        result.misrouted += sum(1 for event_id in counts if event_id not in listener.expected)
        result.lost += len(listener.expected - counts.keys())
        first_seen: dict[str, float] = {}
        for frame in listener.client.frames:
            event = frame.event
            if event is not None and event["id"] in listener.expected:
                first_seen.setdefault(event["id"], frame.received_monotonic)
        result.latencies_ms += [(seen - published[eid]) * 1000 for eid, seen in first_seen.items()]
    return result


def report(clients: int, events: int, result: Tally, spent: StackCpu, client_cpu: float) -> None:
    print()
    print(f"clients                 {clients}")
    print(f"events published        {events}")
    print(f"expected deliveries     {result.expected}")
    print(f"received (expected)     {len(result.latencies_ms)}")
    print(f"lost                    {result.lost}")
    print(f"duplicated              {result.duplicated}")
    print(f"misrouted               {result.misrouted}")
    latencies = result.latencies_ms
    if not latencies:
        return
    per = 1000 / len(latencies)
    print(
        f"CPU per delivery        gateway {spent.gateway * per:.2f} ms, "
        f"fan-out containers {spent.containers * per:.2f} ms, moto {spent.moto * per:.2f} ms, "
        f"clients {client_cpu * per:.2f} ms"
    )
    p99 = percentile(latencies, 0.99)
    print(f"latency p50             {statistics.median(latencies):.1f} ms")
    print(f"latency p90             {percentile(latencies, 0.90):.1f} ms")
    print(f"latency p99             {p99:.1f} ms")
    print(f"latency max             {max(latencies):.1f} ms")
    print(f"target p99 < {TARGET_P99_MS:.0f} ms    {'met' if p99 < TARGET_P99_MS else 'NOT met'}")


async def benchmark(args: argparse.Namespace, endpoints: StackEndpoints, stack_pid: int) -> int:
    listeners = make_listeners(args)
    # Warm-up before anyone listens: each fan-out container's first invocation creates its
    # AWS clients (a Lambda cold start's init), which is not what this benchmark measures.
    warm_up = [(EventType.INVOICE_SENT, "cust-warm-up", "SENT")] * args.warm_up_events
    await publish_all(endpoints, warm_up, args.rate)
    await asyncio.sleep(2.0)
    print(
        f"connecting {len(listeners)} clients ({args.admins} admins, "
        f"{len(listeners) - args.admins} customers of {args.customer_ids} customer ids)…"
    )
    started = time.monotonic()
    await connect_all(endpoints, listeners, args.connect_concurrency)
    print(f"  connected in {time.monotonic() - started:.1f} s")

    plan = make_plan(args)
    drafts = sum(1 for *_, status in plan if status == "DRAFT")
    print(f"publishing {len(plan)} events at {args.rate:g}/s ({drafts} drafts)…")
    cpu_before, own_before = stack_cpu(stack_pid), time.process_time()
    published = await publish_all(endpoints, plan, args.rate)
    for event_id, (_, customer_id, status) in zip(published, plan, strict=True):
        for listener in listeners:
            if listener.should_see(customer_id, status):
                listener.expected.add(event_id)
    total = sum(len(listener.expected) for listener in listeners)
    await wait_for_deliveries(listeners, total, args.settle_seconds)
    spent = stack_cpu(stack_pid) - cpu_before
    client_cpu = time.process_time() - own_before

    result = tally(listeners, published)
    for listener in listeners:
        if listener.client is not None:
            with contextlib.suppress(Exception):
                await listener.client.close()
    report(len(listeners), len(plan), result, spent, client_cpu)
    return 0 if result.clean else 1


def _ids(listener: Listener) -> list[str]:
    assert listener.client is not None
    return [event["id"] for event in listener.client.events]


def main() -> int:
    args = parse_args()
    raise_open_file_limit(args.clients * 2 + 512)
    with tempfile.TemporaryDirectory(prefix="alexho-bench-") as directory:
        workdir = args.workdir or Path(directory)
        workdir.mkdir(parents=True, exist_ok=True)
        process, endpoints = start_stack(workdir, args.stack_log_level, args.stack_arg)
        try:
            return asyncio.run(
                asyncio.wait_for(benchmark(args, endpoints, process.pid), args.max_seconds)
            )
        except TimeoutError:
            print(f"benchmark stopped after --max-seconds {args.max_seconds:g}", file=sys.stderr)
            return 2
        finally:
            stop_stack(process)
            err = (workdir / "stack.err").read_text(errors="replace").strip()
            if err:
                print(f"stack stderr (last lines):\n{os.linesep.join(err.splitlines()[-10:])}")


if __name__ == "__main__":
    sys.exit(main())
