"""Read cost of one event: the items DynamoDB reads must equal its recipients, whatever the
size of the connections table.

moto's server on loopback (in a child process, with a fake ``@connections`` endpoint) holds the
connections table, and ``AWS_ENDPOINT_URL`` points every AWS call of this process at it, the
handler's included: nothing can fall through to a real AWS endpoint. The table grows in steps
up to 100,000 connections of other customers, while one customer keeps a few connections and a
few admins are online. At each step the real ``send_invoice_update`` handler delivers one event
of that customer and its log line reports the ``Query`` requests made and the sum of their
``ScannedCount``. For contrast, the items a ``Scan`` with a filter would read are counted too.
Loading times show what moto costs.

    python -m benchmarks.read_cost                          # steps 1,000 / 10,000 / 100,000
    python -m benchmarks.read_cost --steps 1000 5000 --no-scan
"""

from __future__ import annotations

import argparse
import time
from typing import Any, Final

from benchmarks._fake_connections_endpoint import (
    CONNECTIONS_TABLE,
    HandlerRunner,
    configure_handler_environment,
    create_tables,
    running_backend,
    store_connections,
)

TARGET_CUSTOMER: Final = "cust-target"
#: Other customers' connections are spread over this many customer ids.
OTHER_CUSTOMERS: Final = 5000


def scanned_by_filtered_scan(client: Any) -> int:
    """Items a ``Scan`` filtered on the event's two audiences reads (what the index avoids)."""
    scanned, request = (
        0,
        {
            "TableName": CONNECTIONS_TABLE,
            "Select": "COUNT",
            "FilterExpression": "audience IN (:admin, :customer)",
            "ExpressionAttributeValues": {
                ":admin": {"S": "ADMIN"},
                ":customer": {"S": f"CUSTOMER#{TARGET_CUSTOMER}"},
            },
        },
    )
    while True:
        page = client.scan(**request)
        scanned += int(page["ScannedCount"])
        if "LastEvaluatedKey" not in page:
            return scanned
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--customer-connections", type=int, default=5)
    parser.add_argument("--admins", type=int, default=3)
    parser.add_argument("--no-scan", action="store_true", help="skip the Scan comparison")
    args = parser.parse_args()

    with running_backend((0.0, 0.0), moto=True) as backend:
        configure_handler_environment(backend)
        from alexho_invoice_runtime.auth.identity import Identity
        from alexho_invoice_runtime.contract import build_event
        from alexho_invoice_runtime.definitions import ADMIN, CUSTOMER

        table = create_tables()
        recipients = [Identity.create(f"admin-{i}", ADMIN, None) for i in range(args.admins)]
        recipients += [
            Identity.create(f"user-{i}", CUSTOMER, TARGET_CUSTOMER)
            for i in range(args.customer_connections)
        ]
        stored = len(store_connections(table, recipients, 0))
        runner = HandlerRunner()
        print(
            f"{'other customers':>16}{'table rows':>12}{'load s':>8}{'recipients':>12}"
            f"{'Query reqs':>12}{'items read':>12}{'handler ms':>12}"
            + ("" if args.no_scan else f"{'Scan would read':>17}")
        )
        others = 0
        for step in sorted(args.steps):
            started = time.perf_counter()
            new = [
                Identity.create(f"user-{i}", CUSTOMER, f"cust-{i % OTHER_CUSTOMERS}")
                for i in range(others, step)
            ]
            stored += len(store_connections(table, new, stored))
            others = step
            load_s = time.perf_counter() - started
            event = build_event(
                "INVOICE_SENT", "inv-1", TARGET_CUSTOMER, {"status": "SENT"}, source="bench"
            )
            report, _, _ = runner.deliver(dict(event))
            scan = "" if args.no_scan else f"{scanned_by_filtered_scan(table.meta.client):>17,}"
            print(
                f"{others:>16,}{stored:>12,}{load_s:>8.1f}{report['recipients']:>12}"
                f"{report['queries']:>12}{report['itemsRead']:>12}"
                f"{report['durationMs']:>12.0f}" + scan
            )
            if not report["itemsRead"] == report["recipients"] == len(recipients):
                raise SystemExit("sanity: items read differ from the recipients")
    print(
        "items read: the sum of ScannedCount over the handler's Query pages on the byAudience "
        "index;\nhandler ms is mostly moto's, which walks its whole table for each Query"
    )


if __name__ == "__main__":
    main()
