"""An event id is one event: a redelivery of the same content is idempotent; the same id with
other content is refused (dead-lettered through the on-failure path), never delivered, and the
history is unchanged."""

from __future__ import annotations

import time
from typing import Any

import pytest

from alexho_invoice_runtime.aws import clients
from alexho_invoice_runtime.contract import InvoiceEvent, build_event
from alexho_invoice_runtime.definitions import EVENT_LOG_PARTITION_KEY
from alexho_invoice_runtime.event_log import EventIdConflictError, EventLog
from alexho_invoice_runtime.fanout.sns_records import MalformedEventError
from tests.runtime.conftest import AwsTables
from tests.runtime.fake_management_api import ManagementEndpoint
from tests.runtime.fanout_support import add_connections, admin, customer, invoke


def invoice(customer_id: str, event_id: str, status: str = "SENT") -> InvoiceEvent:
    return build_event(
        "INVOICE_SENT",
        "inv-1",
        customer_id,
        {"status": status},
        source="test",
        event_id=event_id,
    )


def whole_log(aws: AwsTables) -> list[dict[str, Any]]:
    """Every item of the event-log table (markers included), in a stable order."""
    items: list[dict[str, Any]] = aws.event_log.scan(ConsistentRead=True)["Items"]
    return sorted(items, key=lambda item: (item[EVENT_LOG_PARTITION_KEY], item["cursor"]))


@pytest.fixture
def log(aws: AwsTables) -> EventLog:
    return EventLog(clients.event_log_table(), aws.retention_seconds)


def test_a_redelivery_with_identical_content_keeps_its_cursor_and_writes_nothing(
    aws: AwsTables, log: EventLog
) -> None:
    # GIVEN an event recorded once
    event = invoice("cust-1", "evt-same")
    first = log.record(event, ["ADMIN", "CUSTOMER#cust-1"], int(time.time() * 1000))
    before = whole_log(aws)
    # WHEN the same content arrives again a second later
    again = log.record(event, ["ADMIN", "CUSTOMER#cust-1"], int(time.time() * 1000) + 1_000)
    # THEN it gets the same cursor and the table is unchanged
    assert again == first
    assert whole_log(aws) == before


def test_the_same_id_with_other_content_is_refused_and_changes_nothing(
    aws: AwsTables, log: EventLog
) -> None:
    # GIVEN event X recorded for one customer
    first = invoice("cust-1", "evt-x")
    log.record(first, ["ADMIN", "CUSTOMER#cust-1"], int(time.time() * 1000))
    before = whole_log(aws)
    # WHEN the id X is recorded again for another customer
    second = invoice("cust-2", "evt-x")
    with pytest.raises(EventIdConflictError, match="other content"):
        log.record(second, ["ADMIN", "CUSTOMER#cust-2"], int(time.time() * 1000))
    # THEN the log is exactly as before: no entry for the second customer, admin's unchanged
    assert whole_log(aws) == before


def test_the_fan_out_dead_letters_a_reused_id_with_its_reason_and_posts_nothing(
    aws: AwsTables, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN an admin and both customers connected, and event X delivered for cust-1
    add_connections(aws.connections, [admin(), customer("cust-1"), customer("cust-2")])
    invoke(invoice("cust-1", "evt-x"))
    management_endpoint.clear()
    # WHEN X is published again for cust-2
    with pytest.raises(MalformedEventError, match="already recorded with other content"):
        invoke(invoice("cust-2", "evt-x"))
    # THEN the invocation fails (Lambda retries, then the on-failure queue gets it with that
    # reason) and nobody receives anything
    assert management_endpoint.recipients() == []
