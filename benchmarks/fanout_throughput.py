"""Fan-out throughput: one event to 1,000 recipients, the real handler on one core.

A separate process pinned to the other core runs the fake ``@connections`` endpoint (uniform
10-20 ms latency per post, HTTP/1.1 keep-alive) and moto's server for DynamoDB, so this process
pays exactly what the Lambda function would: the event-log write, the ``Query`` pages and the
posts. This process is pinned to core 0 (``os.sched_setaffinity``), like a Lambda function
with one vCPU. Each run publishes a new event through ``send_invoice_update.handler`` and
measures wall time (``perf_counter``) and this process's CPU time (``process_time``).

Three ways of posting, in one run: the fan-out's poster (the runtime's AWS layer,
:mod:`alexho_invoice_runtime.aws`: SigV4 in the standard library, one keep-alive
``http.client`` connection per posting thread); the same handler with its ``@connections``
client swapped for a boto3 ``apigatewaymanagementapi`` client; and a sequential boto3 loop like
AWS's own Python sample. The signed and the boto3
runs alternate, so load from other processes falls on both alike.

Recipients come in one ``Query`` page by default (``--query-page-size``): moto's server walks
its whole table for every page (about half a second here, where DynamoDB answers in
milliseconds), so with the deployed page size of 250 the posts would wait for moto, not for the
poster. For the same reason the targets are judged on the posting phase, from the first post to
the last; the whole invocation's rate is printed beside it.

Printed per worker count and poster: medians over the warm runs (the first call, which creates
clients, threads and HTTP connections, apart) of posts/s over the whole invocation, posts/s
from the first post to the last, CPU ms per post, wall ms (median and p99) and the time to the
first post; then the ratios signed / boto3. Targets at 1,000 recipients: at least 2,000
posts/s, at most 0.5 ms CPU per post, at least 2x the boto3 poster.

    python -m benchmarks.fanout_throughput                    # 1,000 recipients, 7 runs
    python -m benchmarks.fanout_throughput --workers 32 --runs 11
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, Final
from unittest import mock

from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from alexho_invoice_runtime.aws.connections_api import PostReply
from alexho_invoice_runtime.aws.errors import NO_ANSWER, AwsError
from benchmarks._fake_connections_endpoint import (
    Backend,
    HandlerRunner,
    configure_handler_environment,
    create_tables,
    running_backend,
    store_connections,
)

TARGET_POSTS_PER_SECOND: Final = 2000
TARGET_CPU_MS_PER_POST: Final = 0.5
TARGET_RATIO_TO_BOTO3: Final = 2.0
SIGNED: Final = "signed"
BOTO3: Final = "boto3"


@dataclass(frozen=True)
class Run:
    """One invocation of the handler."""

    wall_s: float
    cpu_s: float
    posts: int
    posting_ms: float

    @property
    def posts_per_second(self) -> float:
        """Posts per second over the whole invocation."""
        return self.posts / self.wall_s

    @property
    def posting_posts_per_second(self) -> float:
        """Posts per second from the first post to the last."""
        return self.posts / (self.posting_ms / 1000)

    @property
    def cpu_ms_per_post(self) -> float:
        """This process's CPU for the whole invocation, per post."""
        return self.cpu_s * 1000 / self.posts

    @property
    def first_post_ms(self) -> float:
        """Event-log write and first ``Query`` page, before posting starts."""
        return self.wall_s * 1000 - self.posting_ms


def invoice_event(payload_bytes: int) -> dict[str, Any]:
    """A new sent invoice carrying about ``payload_bytes`` of invoice fields."""
    from alexho_invoice_runtime.contract import build_event

    event: dict[str, Any] = dict(
        build_event(
            "INVOICE_SENT",
            "inv-1",
            "cust-1",
            {"status": "SENT", "notes": "x" * payload_bytes},
            source="bench",
        )
    )
    return event


class Boto3ConnectionsApi:
    """The poster's side of the layer's ``ConnectionsApi`` over a boto3
    ``apigatewaymanagementapi`` client."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def post_once(self, connection_id: str, data: bytes) -> PostReply:
        """One ``post_to_connection``, its outcome as the HTTP status."""
        try:
            self._client.post_to_connection(ConnectionId=connection_id, Data=data)
        except ClientError as error:
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            return PostReply(status, error.response.get("Error", {}).get("Code"))
        except (ConnectionError, HTTPClientError) as error:
            raise AwsError(NO_ANSWER, 0, type(error).__name__) from error
        return PostReply(200)

    def close(self, connection_id: str) -> bool:
        """``delete_connection``; ``False`` when the connection was gone."""
        try:
            self._client.delete_connection(ConnectionId=connection_id)
        except ClientError:
            return False
        return True


@cache
def boto3_api(workers: int) -> Boto3ConnectionsApi:
    """A boto3 client for the callback URL, kept per worker count as a container would keep it:
    no botocore retries (the fan-out retries itself), a pool as large as the workers."""
    import boto3
    from botocore.config import Config

    from alexho_invoice_runtime.definitions import Env

    config = Config(
        max_pool_connections=workers,
        retries={"mode": "standard", "max_attempts": 0},
        connect_timeout=2,
        read_timeout=5,
    )
    client = boto3.client(
        "apigatewaymanagementapi", endpoint_url=os.environ[Env.CALLBACK_URL], config=config
    )
    return Boto3ConnectionsApi(client)


@contextlib.contextmanager
def poster(kind: str) -> Iterator[None]:
    """The handler as deployed (``signed``), or with its ``@connections`` client swapped for
    boto3."""
    if kind == SIGNED:
        yield
        return
    from alexho_invoice_runtime.aws import clients
    from alexho_invoice_runtime.definitions import Env

    api = boto3_api(int(os.environ[Env.FANOUT_WORKERS]))
    with mock.patch.object(clients, "connections_api", return_value=api):
        yield


def measure(runner: HandlerRunner, backend: Backend, payload_bytes: int) -> Run:
    """One invocation of the real handler, checked against the endpoint's count."""
    backend.reset()
    report, wall, cpu = runner.deliver(invoice_event(payload_bytes))
    accepted = backend.posts()
    if report["delivered"] != accepted:
        raise SystemExit(f"sanity: handler counted {report['delivered']}, endpoint {accepted}")
    return Run(wall, cpu, accepted, float(report["postingMs"]))


def sequential_baseline(endpoint: str, ids: list[str], payload: bytes) -> tuple[float, float]:
    """AWS's Python sample: one default client, one ``post_to_connection`` after the other.
    Returns (posts/s, CPU ms per post)."""
    import boto3

    client = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)
    client.post_to_connection(ConnectionId=ids[0], Data=payload)  # open the HTTP connection
    wall, cpu = time.perf_counter(), time.process_time()
    for connection_id in ids:
        client.post_to_connection(ConnectionId=connection_id, Data=payload)
    return len(ids) / (time.perf_counter() - wall), (time.process_time() - cpu) * 1000 / len(ids)


def print_row(label: str, runs: list[Run]) -> None:
    """Medians (and the p99 of wall time) of ``runs`` in one table row."""
    walls = [r.wall_s * 1000 for r in runs]
    print(
        f"{label:<30}"
        f"{statistics.median(r.posts_per_second for r in runs):>9.0f}"
        f"{statistics.median(r.posting_posts_per_second for r in runs):>11.0f}"
        f"{statistics.median(r.cpu_ms_per_post for r in runs):>13.3f}"
        f"{statistics.median(walls):>9.0f}"
        f"{percentile(walls, 99):>9.0f}"
        f"{statistics.median(r.first_post_ms for r in runs):>13.0f}"
    )


def percentile(values: list[float], q: int) -> float:
    """The ``q``-th percentile of ``values`` (inclusive; the maximum for a handful of runs)."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def print_ratios(workers: int, signed: list[Run], boto3: list[Run]) -> None:
    """How the signed poster compares with the boto3 poster at ``workers``, against targets."""
    rate = statistics.median(r.posting_posts_per_second for r in signed)
    cpu = statistics.median(r.cpu_ms_per_post for r in signed)
    ratio = rate / statistics.median(r.posting_posts_per_second for r in boto3)
    cpu_ratio = statistics.median(r.cpu_ms_per_post for r in boto3) / cpu
    verdicts = [
        f"{rate:.0f} posting/s {'ok' if rate >= TARGET_POSTS_PER_SECOND else 'BELOW target'}",
        f"{cpu:.3f} CPU ms/post {'ok' if cpu <= TARGET_CPU_MS_PER_POST else 'ABOVE target'}",
        f"{ratio:.2f}x boto3's posting/s {'ok' if ratio >= TARGET_RATIO_TO_BOTO3 else 'BELOW'}",
        f"{cpu_ratio:.2f}x less CPU per post",
    ]
    print(f"  signed vs boto3, {workers} workers: " + "; ".join(verdicts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--workers", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--latency-ms", type=float, nargs=2, default=(10.0, 20.0))
    parser.add_argument("--payload-bytes", type=int, default=1000)
    parser.add_argument("--baseline-posts", type=int, default=200)
    parser.add_argument(
        "--query-page-size",
        type=int,
        default=None,
        help="the fan-out's Query Limit (default: every recipient in one page, see above)",
    )
    args = parser.parse_args()

    # Pin before any thread starts: a new thread inherits the affinity of its creator.
    os.sched_setaffinity(0, {0})
    with running_backend((args.latency_ms[0], args.latency_ms[1]), cpu=1, moto=True) as backend:
        configure_handler_environment(backend)
        from alexho_invoice_runtime.auth.identity import Identity
        from alexho_invoice_runtime.definitions import ADMIN, Env

        page_size = args.query_page_size or args.recipients
        os.environ[Env.FANOUT_QUERY_PAGE_SIZE] = str(page_size)

        started = time.perf_counter()
        admins = [Identity.create(f"admin-{i}", ADMIN, None) for i in range(args.recipients)]
        ids = store_connections(create_tables(), admins, 0)
        print(
            f"{args.recipients} admin connections stored in moto in "
            f"{time.perf_counter() - started:.1f} s; endpoint latency "
            f"{args.latency_ms[0]:g}-{args.latency_ms[1]:g} ms; handler on core 0, endpoint + "
            f"moto on core 1; Query pages of {page_size}; load average "
            f"{os.getloadavg()[0]:.1f}; medians of {args.runs} runs"
        )
        runner = HandlerRunner()
        print(
            f"{'configuration':<30}{'posts/s':>9}{'posting/s':>11}{'CPU ms/post':>13}"
            f"{'wall ms':>9}{'p99 ms':>9}{'1st post ms':>13}"
        )
        for workers in args.workers:
            os.environ[Env.FANOUT_WORKERS] = str(workers)
            runs: dict[str, list[Run]] = {SIGNED: [], BOTO3: []}
            for kind in (SIGNED, BOTO3):
                with poster(kind):
                    first = measure(runner, backend, args.payload_bytes)
                print_row(f"{kind}, {workers} workers, 1st call", [first])
            for _ in range(args.runs):
                for kind in (SIGNED, BOTO3):
                    with poster(kind):
                        runs[kind].append(measure(runner, backend, args.payload_bytes))
            for kind in (SIGNED, BOTO3):
                print_row(f"{kind}, {workers} workers", runs[kind])
            print_ratios(workers, runs[SIGNED], runs[BOTO3])
        payload = json.dumps({"type": "event", "event": "x" * args.payload_bytes}).encode()
        rate, cost = sequential_baseline(backend.endpoint, ids[: args.baseline_posts], payload)
        label = f"sequential loop ({args.baseline_posts})"
        print(f"{label:<30}{rate:>9.0f}{rate:>11.0f}{cost:>13.3f}")
    print(
        f"targets: >= {TARGET_POSTS_PER_SECOND} posts/s, <= {TARGET_CPU_MS_PER_POST} CPU ms per "
        f"post, >= {TARGET_RATIO_TO_BOTO3:g}x the boto3 poster (rates judged first post to "
        "last).\nposts/s: whole invocation; "
        "posting/s: first post to last; CPU: this process for the whole invocation (event log, "
        "Query pages, posts);\n1st post ms: event-log write and first Query page (moto's server "
        "walks its whole table for each Query); signed: the fan-out as deployed; boto3: its "
        "transport swapped for a boto3 client"
    )


if __name__ == "__main__":
    main()
