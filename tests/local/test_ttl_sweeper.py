"""DynamoDB TTL, which moto lacks: the stack's sweeper deletes items whose TTL has passed."""

from __future__ import annotations

import time
from typing import Any

import boto3
from moto import mock_aws

from alexho_invoice_local.aws.ttl_sweeper import TtlSweeper
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_local.stack import LocalStack
from alexho_invoice_runtime.definitions import (
    EVENT_LOG_EXPIRES_AT,
    EVENT_LOG_PARTITION_KEY,
    EVENT_LOG_SORT_KEY,
    event_log_table_definition,
)


def log_item(audience: str, expires_at: int) -> dict[str, Any]:
    return {
        EVENT_LOG_PARTITION_KEY: {"S": audience},
        EVENT_LOG_SORT_KEY: {"S": "0000000000001.0000000000000000"},
        EVENT_LOG_EXPIRES_AT: {"N": str(expires_at)},
    }


def test_a_sweep_deletes_expired_items_and_keeps_the_others(
    stack: LocalStack, endpoints: StackEndpoints, dynamodb: Any
) -> None:
    now = int(time.time())
    table = endpoints.event_log_table
    # GIVEN one event-log item whose TTL passed and one still alive
    dynamodb.put_item(TableName=table, Item=log_item("CUSTOMER#ttl-old", now - 10))
    dynamodb.put_item(TableName=table, Item=log_item("CUSTOMER#ttl-new", now + 3600))
    # WHEN the sweeper runs
    deleted = stack.ttl_sweeper.sweep(now)
    # THEN only the expired one is gone
    audiences = {
        item[EVENT_LOG_PARTITION_KEY]["S"] for item in dynamodb.scan(TableName=table)["Items"]
    }
    assert deleted >= 1
    assert "CUSTOMER#ttl-old" not in audiences
    assert "CUSTOMER#ttl-new" in audiences


def test_a_sweep_reads_page_by_page_and_deletes_every_expired_item() -> None:
    now = int(time.time())
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="eu-west-1")
        dynamodb.create_table(**event_log_table_definition("event-log"))
        # GIVEN 7 expired items and 4 live ones, more than a sweep's page of 3 holds
        for n in range(11):
            expires_at = now - 10 if n < 7 else now + 3600
            dynamodb.put_item(TableName="event-log", Item=log_item(f"CUSTOMER#c-{n}", expires_at))
        sweeper = TtlSweeper(
            dynamodb,
            [("event-log", (EVENT_LOG_PARTITION_KEY, EVENT_LOG_SORT_KEY), EVENT_LOG_EXPIRES_AT)],
            page_items=3,
        )
        # WHEN it sweeps
        deleted = sweeper.sweep(now)
        # THEN every expired item is gone and every live one stays
        left = {
            item[EVENT_LOG_PARTITION_KEY]["S"]
            for item in dynamodb.scan(TableName="event-log")["Items"]
        }
    assert deleted == 7
    assert left == {f"CUSTOMER#c-{n}" for n in range(7, 11)}


class TimedCalls:
    """A DynamoDB client that records when each of its ``scan`` and ``batch_write_item`` calls
    started and ended."""

    def __init__(self, dynamodb: Any) -> None:
        self._dynamodb = dynamodb
        self.calls: list[tuple[str, float, float]] = []

    def _timed(self, name: str, **request: Any) -> Any:
        started = time.monotonic()
        answer = getattr(self._dynamodb, name)(**request)
        self.calls.append((name, started, time.monotonic()))
        return answer

    def scan(self, **request: Any) -> Any:
        return self._timed("scan", **request)

    def batch_write_item(self, **request: Any) -> Any:
        return self._timed("batch_write_item", **request)


def test_a_sweep_leaves_moto_free_between_its_requests() -> None:
    now = int(time.time())
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="eu-west-1")
        dynamodb.create_table(**event_log_table_definition("paced-event-log"))
        # GIVEN 30 expired items: pages of 10, deletes in batches of 25
        for n in range(30):
            dynamodb.put_item(
                TableName="paced-event-log", Item=log_item(f"CUSTOMER#c-{n}", now - 10)
            )
        timed = TimedCalls(dynamodb)
        sweeper = TtlSweeper(
            timed,
            [
                (
                    "paced-event-log",
                    (EVENT_LOG_PARTITION_KEY, EVENT_LOG_SORT_KEY),
                    EVENT_LOG_EXPIRES_AT,
                )
            ],
            page_items=10,
            pause_seconds=0.05,
        )
        # WHEN it sweeps
        deleted = sweeper.sweep(now)
    # THEN it sent its requests one pause apart (moto serves the runtime's in between)
    assert deleted == 30
    assert [name for name, _, _ in timed.calls] == ["scan"] * 3 + ["batch_write_item"] * 2
    gaps = [
        next_start - end
        for (_, _, end), (_, next_start, _) in zip(timed.calls, timed.calls[1:], strict=False)
    ]
    assert min(gaps) >= 0.05
