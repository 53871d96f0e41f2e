"""The event log that lets a client ``resume`` what its audience missed (docs/architecture.md §5).

One item per (audience, event) in the event-log table: partition key ``audience``, sort key
``cursor``. A cursor is ``<13-digit epoch milliseconds>.<16 hex digits of the event id's
SHA-256>``: it sorts in arrival order, is at most :data:`CURSOR_LENGTH` characters (well under
``contract.MAX_CURSOR_LENGTH``) and carries nothing from the event but a hash of its id.

Recording is idempotent on the event id: an id marker item holding the event's cursor is put
first, conditioned on not existing yet, then the per-audience items are written with the cursor
the marker holds. A redelivery finds the marker, takes the cursor the first delivery got and
writes the same items again (an overwrite with identical values), so a recording cut short
between the two steps is completed by the retry. That costs half a transaction's write
capacity (a transactional write is billed twice) and one more round trip. Marker partitions start
with ``EVENT#``, which no audience (``ADMIN``, ``CUSTOMER#…``) can, so they never show up in a
``resume``.

``table`` is a boto3 DynamoDB ``Table`` resource (see :mod:`alexho_invoice_runtime.aws_clients`).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import time
from collections.abc import Iterable, Sequence
from typing import Any, Final

from alexho_invoice_runtime.contract import MAX_CURSOR_LENGTH, InvoiceEvent, encode_event
from alexho_invoice_runtime.definitions import (
    DEFAULT_EVENT_RETENTION_SECONDS,
    EVENT_LOG_EXPIRES_AT,
    EVENT_LOG_PARTITION_KEY,
    EVENT_LOG_SORT_KEY,
    Env,
)

#: Item attribute holding the envelope's JSON text (stored as text so it comes back unchanged).
EVENT_ATTRIBUTE: Final = "event"
#: Item attribute holding the event id (on log entries and on the id marker).
EVENT_ID_ATTRIBUTE: Final = "eventId"
#: Marker attribute holding the cursor the first recording of an event id got.
ASSIGNED_CURSOR_ATTRIBUTE: Final = "assignedCursor"
#: Prefix of the id marker's partition key; no audience starts with it.
MARKER_PREFIX: Final = "EVENT#"
#: Sort key of an id marker item.
MARKER_SORT_KEY: Final = "#marker"
#: Cursor shape: 13 digits of epoch milliseconds, a dot, 16 lowercase hex digits.
CURSOR_PATTERN: Final = re.compile(r"[0-9]{13}\.[0-9a-f]{16}")
CURSOR_LENGTH: Final = 30
#: ``BatchWriteItem`` rounds (the first and the retries of unprocessed items) before giving up.
MAX_WRITE_ROUNDS: Final = 5
_BACKOFF_BASE_SECONDS: Final = 0.05
_BACKOFF_CAP_SECONDS: Final = 1.0
#: Digits of epoch milliseconds a cursor starts with.
_CURSOR_MS_DIGITS: Final = 13
#: Most items per ``Query`` page that ``read_after`` asks DynamoDB for.
DEFAULT_PAGE_SIZE: Final = 100

assert CURSOR_LENGTH <= MAX_CURSOR_LENGTH


def retention_seconds_from_env() -> int:
    """``Env.EVENT_RETENTION_SECONDS``, or the default retention when it is unset."""
    text = os.environ.get(Env.EVENT_RETENTION_SECONDS, "").strip()
    if not text:
        return DEFAULT_EVENT_RETENTION_SECONDS
    if not text.isdigit() or int(text) <= 0:
        raise ValueError(f"{Env.EVENT_RETENTION_SECONDS} must be a positive number of seconds")
    return int(text)


def make_cursor(received_at_ms: int, event_id: str) -> str:
    """The cursor of an event received at ``received_at_ms`` (epoch milliseconds)."""
    if not 0 <= received_at_ms < 10**13:
        raise ValueError("received_at_ms must be epoch milliseconds (13 digits at most)")
    digest = hashlib.sha256(event_id.encode()).hexdigest()[:16]
    return f"{received_at_ms:013d}.{digest}"


def is_cursor(text: object) -> bool:
    """Whether ``text`` has the shape of a cursor this log hands out."""
    return isinstance(text, str) and CURSOR_PATTERN.fullmatch(text) is not None


def _floor_cursor(epoch_ms: int) -> str:
    """A bound that sorts before every cursor of ``epoch_ms`` and after every earlier one."""
    return f"{max(epoch_ms, 0):013d}"


class EventLog:
    """Per-audience event log for resume, kept for ``retention_seconds``."""

    def __init__(
        self, table: Any, retention_seconds: int, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> None:
        if retention_seconds <= 0 or page_size <= 0:
            raise ValueError("retention_seconds and page_size must be positive")
        self._table = table
        self._retention_seconds = retention_seconds
        self._page_size = page_size

    @property
    def retention_seconds(self) -> int:
        """How long an entry stays readable."""
        return self._retention_seconds

    def record(self, event: InvoiceEvent, audiences: Sequence[str], received_at_ms: int) -> str:
        """Log ``event`` for each audience and return its cursor.

        Idempotent on ``event["id"]``: recording an event id again (an SNS or Lambda redelivery)
        returns the cursor of the first recording and writes its entries again, unchanged.
        """
        event_id = event["id"]
        cursor = make_cursor(received_at_ms, event_id)
        expires_at = received_at_ms // 1000 + self._retention_seconds
        marker_key = {
            EVENT_LOG_PARTITION_KEY: MARKER_PREFIX + event_id,
            EVENT_LOG_SORT_KEY: MARKER_SORT_KEY,
        }
        client = self._table.meta.client
        try:
            self._table.put_item(
                Item={
                    **marker_key,
                    EVENT_ID_ATTRIBUTE: event_id,
                    ASSIGNED_CURSOR_ATTRIBUTE: cursor,
                    EVENT_LOG_EXPIRES_AT: expires_at,
                },
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": EVENT_LOG_PARTITION_KEY},
            )
        except client.exceptions.ConditionalCheckFailedException:
            cursor = self._assigned_cursor(marker_key)
        # Entries expire with the first recording's time, so rewriting them changes nothing.
        expires_at = int(cursor[:_CURSOR_MS_DIGITS]) // 1000 + self._retention_seconds
        text = encode_event(event)
        self._put_entries(
            {
                EVENT_LOG_PARTITION_KEY: audience,
                EVENT_LOG_SORT_KEY: cursor,
                EVENT_ID_ATTRIBUTE: event_id,
                EVENT_ATTRIBUTE: text,
                EVENT_LOG_EXPIRES_AT: expires_at,
            }
            for audience in dict.fromkeys(audiences)
        )
        return cursor

    def _put_entries(self, entries: Iterable[dict[str, Any]]) -> None:
        """Write ``entries`` with ``BatchWriteItem``, retrying unprocessed ones with jittered
        backoff; raises when some are still unprocessed after :data:`MAX_WRITE_ROUNDS`."""
        pending: dict[str, Any] = {
            self._table.name: [{"PutRequest": {"Item": entry}} for entry in entries]
        }
        client = self._table.meta.client
        for round_number in range(MAX_WRITE_ROUNDS):
            if not pending.get(self._table.name):
                return
            if round_number:
                cap = min(_BACKOFF_CAP_SECONDS, _BACKOFF_BASE_SECONDS * 2**round_number)
                time.sleep(random.uniform(0, cap))  # noqa: S311 - jitter, not cryptography
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        if pending.get(self._table.name):
            raise RuntimeError("event log entries could not be written (left unprocessed)")

    def _assigned_cursor(self, marker_key: dict[str, str]) -> str:
        response = self._table.get_item(Key=marker_key, ConsistentRead=True)
        return str(response["Item"][ASSIGNED_CURSOR_ATTRIBUTE])

    def read_after(
        self, audience: str, after: str | None, limit: int
    ) -> list[tuple[str, InvoiceEvent]]:
        """Up to ``limit`` (cursor, event) pairs of ``audience`` after ``after``, oldest first.

        ``after=None`` reads from the start of the retention window; entries older than the
        retention are never returned, even before DynamoDB's TTL has removed them.
        """
        if limit <= 0:
            return []
        floor = self.retention_floor()
        bound = floor if after is None or after < floor else after
        entries: list[tuple[str, InvoiceEvent]] = []
        query: dict[str, Any] = {
            "KeyConditionExpression": "#pk = :audience AND #sk > :after",
            "ExpressionAttributeNames": {"#pk": EVENT_LOG_PARTITION_KEY, "#sk": EVENT_LOG_SORT_KEY},
            "ExpressionAttributeValues": {":audience": audience, ":after": bound},
            "ScanIndexForward": True,
            "ProjectionExpression": "#sk, #event",
        }
        query["ExpressionAttributeNames"]["#event"] = EVENT_ATTRIBUTE
        while len(entries) < limit:
            query["Limit"] = min(self._page_size, limit - len(entries))
            page = self._table.query(**query)
            for item in page.get("Items", []):
                entries.append((str(item[EVENT_LOG_SORT_KEY]), json.loads(item[EVENT_ATTRIBUTE])))
            last_key = page.get("LastEvaluatedKey")
            if last_key is None:
                break
            query["ExclusiveStartKey"] = last_key
        return entries[:limit]

    def retention_floor(self) -> str:
        """The bound below which entries have left the retention window (a cursor prefix)."""
        return _floor_cursor(int(time.time() * 1000) - self._retention_seconds * 1000)
