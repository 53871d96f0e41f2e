"""What the publisher SDK adds to a backend request, and publish vs publish_batch over HTTP.

1. Client-side cost per event before any AWS call: building the envelope, validating it
   against the schema and the size limit, and encoding the SNS message (median of N runs),
   for a small invoice (460 B encoded) and a large one (100 KB).
2. Events per second against moto's SNS served over real HTTP (``ThreadedMotoServer`` on
   127.0.0.1, ``AWS_ENDPOINT_URL`` pointing at it; a fresh topic per mode, no subscriber so
   moto's own delivery work stays out):
   ``publish`` one by one vs ``publish_batch``. Against AWS each call also pays the network
   round trip (10-20 ms), so the ratio of calls matters more than this ratio.

    python benchmarks/publisher_overhead.py            # 2000 build runs, 500 events over HTTP
    python benchmarks/publisher_overhead.py --events 2000
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from alexho_invoice_publisher import BatchItem, InvoiceEventPublisher
from alexho_invoice_publisher.sns_message import message_attributes, message_body
from alexho_invoice_runtime.contract import build_event

REGION = "eu-west-1"


def _invoice(notes_bytes: int) -> dict[str, Any]:
    return {
        "status": "SENT",
        "version": 7,
        "number": "2026-0042",
        "total": "1250.00",
        "currency": "EUR",
        "lines": [{"sku": f"SKU-{i}", "qty": i, "price": "10.00"} for i in range(3)],
        "notes": "n" * notes_bytes,
    }


def _build_cost_us(data: dict[str, Any], runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        event = build_event("INVOICE_SENT", "inv-123", "cust-42", data, source="bench")
        message_body(event)
        message_attributes(event)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1e6


def _http_throughput(events: int) -> tuple[float, float]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint  # no AWS call of this process leaves loopback
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    try:
        sns = boto3.client("sns", region_name=REGION, endpoint_url=endpoint)
        data = _invoice(200)

        def publisher(name: str) -> InvoiceEventPublisher:
            topic_arn = sns.create_topic(Name=name)["TopicArn"]
            return InvoiceEventPublisher(topic_arn=topic_arn, sns_client=sns)

        one_by_one = publisher("bench-single")
        started = time.perf_counter()
        for index in range(events):
            one_by_one.publish_invoice_sent(f"inv-{index}", "cust-42", data)
        single = events / (time.perf_counter() - started)
        items = [BatchItem("INVOICE_SENT", f"inv-{i}", "cust-42", data) for i in range(events)]
        batch = publisher("bench-batch")
        started = time.perf_counter()
        batch.publish_batch(items).raise_for_failures()
        batched = events / (time.perf_counter() - started)
        return single, batched
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=2000, help="build/validate runs per size")
    parser.add_argument("--events", type=int, default=500, help="events published over HTTP")
    args = parser.parse_args()
    print("client-side cost per event (build + validate + encode), median:")
    for label, notes in (("small (460 B)", 0), ("large (100 KB)", 100_000)):
        runs = args.runs if notes == 0 else max(args.runs // 10, 20)
        print(f"  {label:<16} {_build_cost_us(_invoice(notes), runs):9.1f} µs")
    single, batched = _http_throughput(args.events)
    calls = -(-args.events // 10)
    print(f"moto SNS over loopback HTTP, {args.events} events of 660 B:")
    print(f"  publish (one call per event) {single:8.0f} events/s  {args.events} calls")
    print(f"  publish_batch (10 per call)  {batched:8.0f} events/s  {calls} calls")


if __name__ == "__main__":
    main()
