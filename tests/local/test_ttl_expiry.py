"""DynamoDB TTL, which moto lacks: expired items leave the tables with TTL enabled, inside moto's
process, as a request would, never while moto serves one."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from alexho_invoice_local.aws.ttl_expiry import DYNAMODB_LOCK, expire_items, ttl_expiry
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_local.stack import LocalStack
from alexho_invoice_runtime.definitions import (
    EVENT_LOG_EXPIRES_AT,
    EVENT_LOG_PARTITION_KEY,
    EVENT_LOG_SORT_KEY,
    event_log_table_definition,
)
from tests.local.conftest import wait_until

NOW = int(time.time())


def log_item(audience: str, expires_at: Any) -> dict[str, Any]:
    """An event-log item of ``audience`` whose TTL attribute is ``expires_at`` (a typed value),
    or that has none when it is ``None``."""
    item = {
        EVENT_LOG_PARTITION_KEY: {"S": audience},
        EVENT_LOG_SORT_KEY: {"S": "0000000000001.0000000000000000"},
    }
    if expires_at is not None:
        item[EVENT_LOG_EXPIRES_AT] = expires_at
    return item


def audiences(dynamodb: Any, table: str) -> set[str]:
    return {item[EVENT_LOG_PARTITION_KEY]["S"] for item in dynamodb.scan(TableName=table)["Items"]}


def test_the_stack_deletes_expired_items_in_motos_process_and_keeps_the_others(
    stack: LocalStack, endpoints: StackEndpoints, dynamodb: Any
) -> None:
    table = endpoints.event_log_table
    # GIVEN one event-log item whose TTL passed and one still alive
    dynamodb.put_item(TableName=table, Item=log_item("CUSTOMER#ttl-old", {"N": str(NOW - 10)}))
    dynamodb.put_item(TableName=table, Item=log_item("CUSTOMER#ttl-new", {"N": str(NOW + 3600)}))
    # WHEN the stack expires items
    deleted = stack.expire_items(NOW)
    # THEN only the expired one is gone
    left = audiences(dynamodb, table)
    assert deleted >= 1
    assert "CUSTOMER#ttl-old" not in left
    assert "CUSTOMER#ttl-new" in left


@pytest.fixture
def event_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto in process with an event-log table whose TTL is enabled, and one without TTL (the
    SDK's calls go to this process's moto, not to a stack's)."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="eu-west-1")
        for name in ("expiring-log", "lasting-log"):
            dynamodb.create_table(**event_log_table_definition(name))
        dynamodb.update_time_to_live(
            TableName="expiring-log",
            TimeToLiveSpecification={"Enabled": True, "AttributeName": EVENT_LOG_EXPIRES_AT},
        )
        yield dynamodb


def test_only_items_with_a_past_number_of_seconds_expire(event_log: Any) -> None:
    # GIVEN items whose TTL attribute is past, future, missing, text or not a number of seconds
    for audience, expires_at in [
        ("past", {"N": str(NOW - 1)}),
        ("long-past", {"N": "0"}),
        ("future", {"N": str(NOW + 60)}),
        ("missing", None),
        ("text", {"S": str(NOW - 1)}),
    ]:
        event_log.put_item(TableName="expiring-log", Item=log_item(audience, expires_at))
    # WHEN items expire THEN only the numbers of seconds before now are gone (as on AWS)
    assert expire_items(NOW) == 2
    assert audiences(event_log, "expiring-log") == {"future", "missing", "text"}


def test_a_table_without_ttl_keeps_every_item(event_log: Any) -> None:
    event_log.put_item(TableName="lasting-log", Item=log_item("past", {"N": "0"}))
    assert expire_items(NOW) == 0
    assert audiences(event_log, "lasting-log") == {"past"}


def test_expiry_waits_while_moto_serves_a_dynamodb_request(event_log: Any) -> None:
    # GIVEN an expired item, and moto serving a DynamoDB request (its lock held)
    event_log.put_item(TableName="expiring-log", Item=log_item("past", {"N": "0"}))
    finished = threading.Event()
    with DYNAMODB_LOCK:
        # WHEN items expire meanwhile
        def expire() -> None:
            expire_items(NOW)
            finished.set()

        thread = threading.Thread(target=expire)
        thread.start()
        # THEN nothing is deleted until the request is done
        assert not finished.wait(0.2)
        assert audiences(event_log, "expiring-log") == {"past"}
    thread.join(5)
    assert finished.is_set()
    assert audiences(event_log, "expiring-log") == set()


def test_expiry_runs_every_interval(event_log: Any) -> None:
    # GIVEN expiry every 50 ms
    expiry = ttl_expiry(0.05)
    expiry.start()
    try:
        # WHEN an item expires
        event_log.put_item(TableName="expiring-log", Item=log_item("past", {"N": "0"}))
        # THEN it leaves on its own
        assert wait_until(lambda: not audiences(event_log, "expiring-log"), timeout=2)
    finally:
        expiry.stop()
