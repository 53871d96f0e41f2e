"""The 1,000-client fan-out load of ``local_fanout_latency`` while malformed messages arrive.

Same stack, clients and event mix as ``local_fanout_latency`` (``--help`` lists the shared
options); meanwhile a malformed message goes to the topic every ``1 / --malformed-rate`` seconds,
cycling through: not JSON, 5,000 nested ``[``, schema-invalid, too large for a frame, a
``customerId`` attribute of type Number. Prints lost, duplicated and misrouted deliveries of
the valid events, how many malformed messages reached the on-failure queue (and any valid event
that did), and publish → receive latency percentiles.

    python -m benchmarks.local_fanout_faults                  # 1,000 clients, 200 events
    python -m benchmarks.local_fanout_faults --clients 200 --events 50
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3

from alexho_invoice_local.aws.clients import client_args
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_runtime.contract import EventType, build_event
from benchmarks.local_fanout_latency import (
    TARGET_P99_MS,
    build_parser,
    connect_all,
    make_listeners,
    make_plan,
    percentile,
    publish_all,
    raise_open_file_limit,
    start_stack,
    stop_stack,
    tally,
    wait_for_deliveries,
)


def malformed_messages() -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, SNS message body, message attributes) of each malformed message, in turn."""
    valid = build_event(
        EventType.INVOICE_SENT, "inv-bad", "cust-bad", {"status": "SENT"}, source="benchmark"
    )
    too_large = {**valid, "data": {**valid["data"], "notes": "x" * 140_000}}
    return [
        ("not JSON", "not json", {}),
        ("deep JSON", "[" * 5000 + "]" * 5000, {}),
        ("schema-invalid", json.dumps({"id": "x", "type": "INVOICE_SENT"}), {}),
        ("too large for a frame", json.dumps(too_large), {}),
        (
            "customerId attribute of type Number",
            json.dumps(valid),
            {"customerId": {"DataType": "Number", "StringValue": "42"}},
        ),
    ]


async def publish_malformed(
    endpoints: StackEndpoints, rate: float, stop: asyncio.Event
) -> set[str]:
    """Publish malformed messages at ``rate`` per second until ``stop``; returns their ids."""
    sns = boto3.client("sns", **client_args(endpoints.aws_endpoint_url, endpoints.region))
    kinds = malformed_messages()
    published: set[str] = set()
    started = time.monotonic()
    index = 0
    while not stop.is_set():
        _, body, attributes = kinds[index % len(kinds)]
        response = await asyncio.to_thread(
            sns.publish, TopicArn=endpoints.topic_arn, Message=body, MessageAttributes=attributes
        )
        published.add(response["MessageId"])
        index += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.0, started + index / rate - time.monotonic()))
    return published


def on_failure_records(endpoints: StackEndpoints) -> list[dict[str, Any]]:
    """Every on-failure record in the queue (read, left in place)."""
    sqs = boto3.client("sqs", **client_args(endpoints.aws_endpoint_url, endpoints.region))
    records = []
    while batch := sqs.receive_message(
        QueueUrl=endpoints.on_failure_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=60
    ).get("Messages", []):
        records += [json.loads(message["Body"]) for message in batch]
    return records


def sns_message_id(record: dict[str, Any]) -> str:
    return str(record["requestPayload"]["Records"][0]["Sns"]["MessageId"])


async def wait_for_dead_letters(
    endpoints: StackEndpoints, expected: set[str], seconds: float
) -> None:
    """Until every malformed message is in the on-failure queue, or ``seconds`` pass."""
    sqs = boto3.client("sqs", **client_args(endpoints.aws_endpoint_url, endpoints.region))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        attributes = await asyncio.to_thread(
            sqs.get_queue_attributes,
            QueueUrl=endpoints.on_failure_queue_url,
            AttributeNames=["ApproximateNumberOfMessages"],
        )
        if int(attributes["Attributes"]["ApproximateNumberOfMessages"]) >= len(expected):
            return
        await asyncio.sleep(0.5)


async def benchmark(args: Any, endpoints: StackEndpoints) -> int:
    listeners = make_listeners(args)
    warm_up = [(EventType.INVOICE_SENT, "cust-warm-up", "SENT")] * args.warm_up_events
    await publish_all(endpoints, warm_up, args.rate)
    await asyncio.sleep(2.0)
    print(f"connecting {len(listeners)} clients…")
    await connect_all(endpoints, listeners, args.connect_concurrency)
    plan = make_plan(args)
    print(
        f"publishing {len(plan)} events at {args.rate:g}/s and malformed messages at "
        f"{args.malformed_rate:g}/s…"
    )
    stop = asyncio.Event()
    malformed_task = asyncio.create_task(publish_malformed(endpoints, args.malformed_rate, stop))
    published = await publish_all(endpoints, plan, args.rate)
    stop.set()
    malformed = await malformed_task
    for event_id, (_, customer_id, status) in zip(published, plan, strict=True):
        for listener in listeners:
            if listener.should_see(customer_id, status):
                listener.expected.add(event_id)
    total = sum(len(listener.expected) for listener in listeners)
    await wait_for_deliveries(listeners, total, args.settle_seconds)
    await wait_for_dead_letters(endpoints, malformed, args.settle_seconds)
    result = tally(listeners, published)
    records = on_failure_records(endpoints)
    dead_malformed = {sns_message_id(r) for r in records} & malformed
    dead_valid = [
        r
        for r in records
        if sns_message_id(r) not in malformed
        and json.loads(r["requestPayload"]["Records"][0]["Sns"]["Message"]).get("id") in published
    ]
    for listener in listeners:
        if listener.client is not None:
            with contextlib.suppress(Exception):
                await listener.client.close()

    latencies = result.latencies_ms
    p99 = percentile(latencies, 0.99) if latencies else float("nan")
    print()
    print(f"clients                       {len(listeners)}")
    print(f"valid events published        {len(plan)}")
    print(f"expected deliveries           {result.expected}")
    print(f"lost                          {result.lost}")
    print(f"duplicated                    {result.duplicated}")
    print(f"misrouted                     {result.misrouted}")
    print(f"valid events dead-lettered    {len(dead_valid)}")
    print(f"malformed published           {len(malformed)}")
    print(f"malformed dead-lettered       {len(dead_malformed)}")
    if latencies:
        print(f"latency p50                   {statistics.median(latencies):.1f} ms")
        print(f"latency p90                   {percentile(latencies, 0.90):.1f} ms")
        print(f"latency p99                   {p99:.1f} ms")
        print(f"latency max                   {max(latencies):.1f} ms")
    met = (
        result.lost == 0
        and len(dead_malformed) == len(malformed)
        and bool(latencies)
        and p99 < TARGET_P99_MS
    )
    print(
        f"target (0 lost, every malformed one dead-lettered, p99 < {TARGET_P99_MS:.0f} ms)   "
        f"{'met' if met else 'NOT met'}"
    )
    return 0 if met and result.clean else 1


def main() -> int:
    parser = build_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--malformed-rate", type=float, default=1.0, help="malformed messages per second"
    )
    args = parser.parse_args()
    raise_open_file_limit(args.clients * 2 + 512)
    with tempfile.TemporaryDirectory(prefix="alexho-bench-") as directory:
        workdir = args.workdir or Path(directory)
        workdir.mkdir(parents=True, exist_ok=True)
        process, endpoints = start_stack(workdir, args.stack_log_level, args.stack_arg)
        try:
            return asyncio.run(asyncio.wait_for(benchmark(args, endpoints), args.max_seconds))
        except TimeoutError:
            print(f"benchmark stopped after --max-seconds {args.max_seconds:g}", file=sys.stderr)
            return 2
        finally:
            stop_stack(process)


if __name__ == "__main__":
    sys.exit(main())
