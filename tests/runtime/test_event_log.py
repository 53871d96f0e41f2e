"""The event log for resume: cursors in arrival order, idempotent on the event id, reads per
audience after a cursor, paginated and within retention."""

from __future__ import annotations

import time
from typing import Any

import pytest

from alexho_invoice_runtime.aws import clients
from alexho_invoice_runtime.contract import MAX_CURSOR_LENGTH, InvoiceEvent, build_event
from alexho_invoice_runtime.definitions import EVENT_LOG_PARTITION_KEY, EVENT_LOG_SORT_KEY
from alexho_invoice_runtime.event_log import (
    COMMITTED_ATTRIBUTE,
    MARKER_PREFIX,
    EventLog,
    is_cursor,
    make_cursor,
)
from tests.runtime.conftest import AwsTables

ADMIN = "ADMIN"
CUSTOMER = "CUSTOMER#cust-42"


def event(number: int, customer_id: str = "cust-42", **data: object) -> InvoiceEvent:
    return build_event(
        "INVOICE_UPDATED",
        f"inv-{number}",
        customer_id,
        {"status": "SENT", "version": number, **data},
        source="test",
    )


def now_ms() -> int:
    return int(time.time() * 1000)


def stored_entry(aws: AwsTables, audience: str, cursor: str) -> dict[str, Any]:
    """The event-log item of ``audience`` at ``cursor``, as the table holds it."""
    key = {EVENT_LOG_PARTITION_KEY: audience, EVENT_LOG_SORT_KEY: cursor}
    item: dict[str, Any] = aws.event_log.get_item(Key=key)["Item"]
    return item


@pytest.fixture
def log(aws: AwsTables) -> EventLog:
    return EventLog(clients.event_log_table(), aws.retention_seconds)


def test_recorded_event_is_read_back_unchanged_under_its_cursor(log: EventLog) -> None:
    # GIVEN an event with nested and non-ASCII data
    recorded = event(1, lines=[{"sku": "ä-1", "amount": "12.50", "qty": 2}])
    # WHEN it is recorded and read back
    cursor = log.record(recorded, [ADMIN], now_ms())
    # THEN it comes back exactly as recorded, under the returned cursor
    assert log.read_after(ADMIN, None, 10) == [(cursor, recorded)]


def test_cursor_is_short_and_well_formed() -> None:
    cursor = make_cursor(now_ms(), "x" * 128)
    assert is_cursor(cursor)
    assert len(cursor) <= MAX_CURSOR_LENGTH


def test_cursors_sort_in_arrival_order() -> None:
    start = now_ms()
    cursors = [make_cursor(start + offset, f"id-{999 - offset}") for offset in range(50)]
    assert sorted(cursors) == cursors


def test_redelivered_event_gets_its_first_cursor_and_no_second_entry(log: EventLog) -> None:
    # GIVEN an event recorded once
    recorded = event(1)
    first = log.record(recorded, [ADMIN, CUSTOMER], now_ms())
    # WHEN the same event id is recorded again later (an SNS or Lambda redelivery)
    second = log.record(recorded, [ADMIN, CUSTOMER], now_ms() + 5_000)
    # THEN it gets the same cursor and each audience holds it once
    assert second == first
    assert log.read_after(ADMIN, None, 10) == [(first, recorded)]
    assert log.read_after(CUSTOMER, None, 10) == [(first, recorded)]


def test_a_recording_cut_short_after_its_marker_is_completed_by_the_redelivery(
    aws: AwsTables, log: EventLog
) -> None:
    # GIVEN an event whose first recording wrote its id marker but no entry and did not commit
    # (its invocation ended between the two writes)
    recorded = event(1)
    first = log.record(recorded, [ADMIN, CUSTOMER], now_ms())
    for audience in (ADMIN, CUSTOMER):
        aws.event_log.delete_item(
            Key={EVENT_LOG_PARTITION_KEY: audience, EVENT_LOG_SORT_KEY: first}
        )
    aws.event_log.update_item(
        Key={
            EVENT_LOG_PARTITION_KEY: MARKER_PREFIX + recorded["id"],
            EVENT_LOG_SORT_KEY: "#marker",
        },
        UpdateExpression="REMOVE #committed",
        ExpressionAttributeNames={"#committed": COMMITTED_ATTRIBUTE},
    )
    # WHEN the event is delivered again
    second = log.record(recorded, [ADMIN, CUSTOMER], now_ms() + 5_000)
    # THEN both audiences hold it, under the cursor its marker assigned
    assert second == first
    assert log.read_after(ADMIN, None, 10) == [(first, recorded)]
    assert log.read_after(CUSTOMER, None, 10) == [(first, recorded)]


def test_rewritten_entries_keep_the_first_recordings_expiry(aws: AwsTables, log: EventLog) -> None:
    # GIVEN an event recorded once
    recorded = event(1)
    cursor = log.record(recorded, [ADMIN], now_ms())
    before = stored_entry(aws, ADMIN, cursor)
    # WHEN it is recorded again an hour later
    log.record(recorded, [ADMIN], now_ms() + 3_600_000)
    # THEN its entry is unchanged, expiry included
    assert stored_entry(aws, ADMIN, cursor) == before


def test_each_audience_reads_only_its_own_entries(log: EventLog) -> None:
    for_both = event(1)
    admins_only = event(2, status="DRAFT")
    other_customer = event(3, customer_id="cust-7")
    start = now_ms()
    log.record(for_both, [ADMIN, CUSTOMER], start)
    log.record(admins_only, [ADMIN], start + 1)
    log.record(other_customer, [ADMIN, "CUSTOMER#cust-7"], start + 2)
    assert [e["id"] for _, e in log.read_after(CUSTOMER, None, 10)] == [for_both["id"]]
    assert len(log.read_after(ADMIN, None, 10)) == 3


def test_read_after_returns_only_later_events_in_order(log: EventLog) -> None:
    # GIVEN five events recorded one millisecond apart
    start = now_ms()
    cursors = [log.record(event(n), [ADMIN], start + n) for n in range(5)]
    # WHEN reading after the second one
    entries = log.read_after(ADMIN, cursors[1], 10)
    # THEN exactly the last three come back, oldest first
    assert [cursor for cursor, _ in entries] == cursors[2:]


def test_read_after_pages_through_more_than_one_query_page(aws: AwsTables) -> None:
    # GIVEN a log read three items per Query page, holding ten events
    log = EventLog(clients.event_log_table(), aws.retention_seconds, page_size=3)
    start = now_ms()
    cursors = [log.record(event(n), [ADMIN], start + n) for n in range(10)]
    # WHEN reading with a limit above the page size THEN every one comes back, in order
    assert [cursor for cursor, _ in log.read_after(ADMIN, None, 50)] == cursors


def test_read_after_stops_at_the_limit(log: EventLog) -> None:
    start = now_ms()
    cursors = [log.record(event(n), [ADMIN], start + n) for n in range(7)]
    assert [cursor for cursor, _ in log.read_after(ADMIN, cursors[0], 3)] == cursors[1:4]


def test_entries_older_than_the_retention_are_not_read(log: EventLog, aws: AwsTables) -> None:
    # GIVEN an event received before the retention window and one inside it
    too_old = event(1)
    recent = event(2)
    then = time.time() - log.retention_seconds - 60
    EventLog(clients.event_log_table(), log.retention_seconds, clock=lambda: then).record(
        too_old, [ADMIN], int(then * 1000)
    )
    recent_cursor = log.record(recent, [ADMIN], now_ms())
    # WHEN reading from an old cursor THEN only the recent one comes back (TTL may lag)
    old_cursor = make_cursor(now_ms() - (log.retention_seconds + 120) * 1000, "x")
    assert log.read_after(ADMIN, old_cursor, 10) == [(recent_cursor, recent)]


def test_entries_carry_a_ttl_at_the_end_of_the_retention(log: EventLog, aws: AwsTables) -> None:
    received = now_ms()
    cursor = log.record(event(1), [ADMIN], received)
    item = stored_entry(aws, ADMIN, cursor)
    assert item["expiresAt"] == received // 1000 + log.retention_seconds


@pytest.mark.parametrize(
    "text",
    ["", "123", "1700000000000", "1700000000000.", "1700000000000.ABCDEF0123456789", None, 17],
)
def test_malformed_cursor_is_recognized(text: object) -> None:
    assert not is_cursor(text)
