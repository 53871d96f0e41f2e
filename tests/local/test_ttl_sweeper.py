"""DynamoDB TTL, which moto lacks: the stack's sweeper deletes items whose TTL has passed."""

from __future__ import annotations

import time
from typing import Any

from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_local.stack import LocalStack
from alexho_invoice_runtime.definitions import (
    EVENT_LOG_EXPIRES_AT,
    EVENT_LOG_PARTITION_KEY,
    EVENT_LOG_SORT_KEY,
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
