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

**No skip on resume** (docs/architecture.md §8). Cursors are recording times of concurrent
fan-outs, so an entry can become visible after a later-stamped one. Every recording is made
visible within :data:`RECORDING_WINDOW_MS` of its cursor's time, by the writer's own clock: an
entry whose write completed later is moved to a fresh cursor (the marker is moved with a
conditional update, the late entries deleted) before the recording counts as committed. A
resume therefore replays from the client's position minus that window (:meth:`EventLog.replay`):
whatever became visible after the client's position was handed out has a cursor inside it.

**An event id is one event.** The marker holds a SHA-256 of the envelope's text; recording the
same id with other content raises :class:`EventIdConflictError` and changes nothing.

``table`` is the event-log table through the AWS layer
(:class:`~alexho_invoice_runtime.aws.dynamodb.TableApi`, see :mod:`alexho_invoice_runtime.aws`).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from alexho_invoice_runtime import settings
from alexho_invoice_runtime.aws.dynamodb import TableApi
from alexho_invoice_runtime.aws.errors import AwsError
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
#: Longest retention ``EVENT_RETENTION_SECONDS`` may set (a typo's bound, about 31 years).
MAX_RETENTION_SECONDS: Final = 10**9
#: Digits of epoch milliseconds a cursor starts with.
_CURSOR_MS_DIGITS: Final = 13
#: Most items per ``Query`` page that ``read_after`` asks DynamoDB for.
DEFAULT_PAGE_SIZE: Final = 100
#: A recording is visible within this many milliseconds of its cursor's time (the writer moves
#: it to a fresh cursor otherwise); a resume replays this far back before its position.
RECORDING_WINDOW_MS: Final = 10_000
#: Most entries of the window before a position that one replay sends (more: ``truncated``).
MAX_WINDOW_ENTRIES: Final = 1000
#: Cursors one ``record`` call tries before it gives up (each later one is freshly stamped).
MAX_STAMPS: Final = 3
#: Marker attributes: SHA-256 of the envelope text; whether the entries are in place in time.
CONTENT_DIGEST_ATTRIBUTE: Final = "contentDigest"
COMMITTED_ATTRIBUTE: Final = "committed"
#: The hash part of a position that is a time, not an event (sorts before every real cursor).
_TIME_POSITION_HASH: Final = "0" * 16

assert CURSOR_LENGTH <= MAX_CURSOR_LENGTH


def retention_seconds_from_env(environ: Mapping[str, str] | None = None) -> int:
    """``Env.EVENT_RETENTION_SECONDS`` (default one day, at most :data:`MAX_RETENTION_SECONDS`):
    the one reader of it, for ``resume`` and the fan-out alike."""
    return settings.integer(
        Env.EVENT_RETENTION_SECONDS,
        default=DEFAULT_EVENT_RETENTION_SECONDS,
        low=1,
        high=MAX_RETENTION_SECONDS,
        environ=environ,
    )


def make_cursor(received_at_ms: int, event_id: str) -> str:
    """The cursor of an event received at ``received_at_ms`` (epoch milliseconds)."""
    if not 0 <= received_at_ms < 10**13:
        raise ValueError("received_at_ms must be epoch milliseconds (13 digits at most)")
    digest = hashlib.sha256(event_id.encode()).hexdigest()[:16]
    return f"{received_at_ms:013d}.{digest}"


def is_cursor(text: object) -> bool:
    """Whether ``text`` has the shape of a cursor this log hands out."""
    return isinstance(text, str) and CURSOR_PATTERN.fullmatch(text) is not None


def cursor_time_ms(cursor: str) -> int:
    """The epoch milliseconds a cursor (or a time position) starts with."""
    return int(cursor[:_CURSOR_MS_DIGITS])


def time_position(epoch_ms: int) -> str:
    """A cursor-shaped position for "from ``epoch_ms`` on": it sorts before every cursor of that
    millisecond and after every earlier one (``resume`` with ``since``)."""
    if not 0 <= epoch_ms < 10**13:
        raise ValueError("epoch_ms must be epoch milliseconds (13 digits at most)")
    return f"{epoch_ms:013d}.{_TIME_POSITION_HASH}"


class EventIdConflictError(ValueError):
    """An event id that was recorded with other content: the new content is refused."""

    def __init__(self, event_id: str) -> None:
        self.event_id = event_id
        super().__init__("$.id: this event id was already recorded with other content")


class RecordingTooSlowError(RuntimeError):
    """The entries could not be made visible within the recording window (retried by Lambda)."""


@dataclass(frozen=True)
class Replay:
    """What one resume replays, and the ``resume-end`` that follows it."""

    entries: list[tuple[str, InvoiceEvent]]
    #: Where the next resume continues (never before the position asked for).
    cursor: str
    #: Entries after the position were left for another resume (the batch limit).
    more: bool
    #: Continuity cannot be proven: the window reaches past the retention, or held too much.
    truncated: bool


def _floor_cursor(epoch_ms: int) -> str:
    """A bound that sorts before every cursor of ``epoch_ms`` and after every earlier one."""
    return f"{max(epoch_ms, 0):013d}"


class EventLog:
    """Per-audience event log for resume, kept for ``retention_seconds``."""

    def __init__(
        self,
        table: TableApi,
        retention_seconds: int,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        clock: Callable[[], float] = time.time,
        window_ms: int = RECORDING_WINDOW_MS,
    ) -> None:
        if retention_seconds <= 0 or page_size <= 0 or window_ms <= 0:
            raise ValueError("retention_seconds, page_size and window_ms must be positive")
        self._table = table
        self._retention_seconds = retention_seconds
        self._page_size = page_size
        self._clock = clock
        self._window_ms = window_ms

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    @property
    def retention_seconds(self) -> int:
        """How long an entry stays readable."""
        return self._retention_seconds

    def record(self, event: InvoiceEvent, audiences: Sequence[str], received_at_ms: int) -> str:
        """Log ``event`` for each audience and return its cursor.

        The cursor's time is ``received_at_ms`` (never later than now; now when it is older than
        the window). Idempotent on ``event["id"]``: recording it again (an SNS or Lambda
        redelivery) with the same content returns the cursor of the committed recording and
        writes nothing, or completes a recording cut short. Other content under that id raises
        :class:`EventIdConflictError` and writes nothing. Raises
        :class:`RecordingTooSlowError` when no cursor could be made visible within the window.
        """
        event_id = event["id"]
        text = encode_event(event)
        digest = hashlib.sha256(text.encode()).hexdigest()
        marker_key = {
            EVENT_LOG_PARTITION_KEY: MARKER_PREFIX + event_id,
            EVENT_LOG_SORT_KEY: MARKER_SORT_KEY,
        }
        now = self._now_ms()
        stamp = now if not now - self._window_ms <= received_at_ms <= now else received_at_ms
        cursor = make_cursor(stamp, event_id)
        if not self._put_marker(marker_key, event_id, cursor, digest):
            cursor, committed = self._read_marker(marker_key, event_id, digest)
            if committed:
                return cursor
        targets = list(dict.fromkeys(audiences))
        for _ in range(MAX_STAMPS):
            stale: list[str] = []
            if self._is_late(cursor):
                moved = self._move_marker(marker_key, cursor, make_cursor(self._now_ms(), event_id))
                if moved is None:
                    cursor, committed = self._read_marker(marker_key, event_id, digest)
                    if committed:
                        return cursor
                    continue
                stale, cursor = [cursor], moved
            self._write_entries(event_id, text, targets, cursor, stale)
            if not self._is_late(cursor) and self._commit(marker_key, cursor):
                return cursor
            if not self._is_late(cursor):
                # Another delivery moved the marker meanwhile: take its cursor, drop ours.
                self._write_entries(event_id, text, [], "", [cursor], targets)
                cursor, committed = self._read_marker(marker_key, event_id, digest)
                if committed:
                    return cursor
        raise RecordingTooSlowError(
            f"event {event_id!r} could not be recorded within {self._window_ms} ms"
        )

    def _is_late(self, cursor: str) -> bool:
        return self._now_ms() - cursor_time_ms(cursor) > self._window_ms

    def _put_marker(self, key: dict[str, str], event_id: str, cursor: str, digest: str) -> bool:
        """Put the id marker unless there is one; whether this call put it."""
        try:
            self._table.put(
                {
                    **key,
                    EVENT_ID_ATTRIBUTE: event_id,
                    ASSIGNED_CURSOR_ATTRIBUTE: cursor,
                    CONTENT_DIGEST_ATTRIBUTE: digest,
                    EVENT_LOG_EXPIRES_AT: self._expires_at(cursor),
                },
                condition="attribute_not_exists(#pk)",
                names={"#pk": EVENT_LOG_PARTITION_KEY},
            )
        except AwsError as error:
            if error.conditional_check_failed:
                return False
            raise
        return True

    def _read_marker(self, key: dict[str, str], event_id: str, digest: str) -> tuple[str, bool]:
        """The marker's cursor and whether it is committed; raises on other content."""
        item = self._table.get(key, consistent=True)
        if item is None:
            raise RuntimeError(f"the id marker of event {event_id!r} is missing")
        recorded_digest = item.get(CONTENT_DIGEST_ATTRIBUTE)
        # A marker written before digests existed carries none (it expires with the retention).
        if recorded_digest is not None and recorded_digest != digest:
            raise EventIdConflictError(event_id)
        return str(item[ASSIGNED_CURSOR_ATTRIBUTE]), bool(
            item.get(COMMITTED_ATTRIBUTE, recorded_digest is None)
        )

    def _move_marker(self, key: dict[str, str], old: str, new: str) -> str | None:
        """Point the marker from ``old`` to the fresh cursor ``new``; ``None`` when another
        delivery changed it first."""
        try:
            self._table.update(
                key,
                "SET #cursor = :new, #expires = :expires",
                condition="#cursor = :old AND attribute_not_exists(#committed)",
                names={
                    "#cursor": ASSIGNED_CURSOR_ATTRIBUTE,
                    "#expires": EVENT_LOG_EXPIRES_AT,
                    "#committed": COMMITTED_ATTRIBUTE,
                },
                values={":new": new, ":old": old, ":expires": self._expires_at(new)},
            )
        except AwsError as error:
            if error.conditional_check_failed:
                return None
            raise
        return new

    def _commit(self, key: dict[str, str], cursor: str) -> bool:
        """Mark the recording at ``cursor`` complete; ``False`` when the marker moved on."""
        try:
            self._table.update(
                key,
                "SET #committed = :true",
                condition="#cursor = :cursor",
                names={"#cursor": ASSIGNED_CURSOR_ATTRIBUTE, "#committed": COMMITTED_ATTRIBUTE},
                values={":cursor": cursor, ":true": True},
            )
        except AwsError as error:
            if error.conditional_check_failed:
                return False
            raise
        return True

    def _expires_at(self, cursor: str) -> int:
        return cursor_time_ms(cursor) // 1000 + self._retention_seconds

    def _write_entries(
        self,
        event_id: str,
        text: str,
        audiences: Sequence[str],
        cursor: str,
        stale_cursors: Sequence[str],
        stale_audiences: Sequence[str] | None = None,
    ) -> None:
        """Put the entries of ``audiences`` at ``cursor`` and delete those at ``stale_cursors``
        (of ``stale_audiences``, by default the same audiences) in one batch write."""
        expires_at = self._expires_at(cursor) if cursor else 0
        puts = [
            {
                EVENT_LOG_PARTITION_KEY: audience,
                EVENT_LOG_SORT_KEY: cursor,
                EVENT_ID_ATTRIBUTE: event_id,
                EVENT_ATTRIBUTE: text,
                EVENT_LOG_EXPIRES_AT: expires_at,
            }
            for audience in audiences
        ]
        deletes = [
            {EVENT_LOG_PARTITION_KEY: audience, EVENT_LOG_SORT_KEY: stale}
            for stale in stale_cursors
            for audience in (audiences if stale_audiences is None else stale_audiences)
        ]
        # Unprocessed requests are retried with jittered backoff by the layer (bounded rounds).
        self._table.batch_write(puts, deletes)

    def read_after(
        self, audience: str, after: str | None, limit: int
    ) -> list[tuple[str, InvoiceEvent]]:
        """Up to ``limit`` (cursor, event) pairs of ``audience`` after ``after``, oldest first.

        ``after=None`` reads from the start of the retention window; entries older than the
        retention are never returned, even before DynamoDB's TTL has removed them.
        """
        floor = self.retention_floor()
        bound = floor if after is None or after < floor else after
        return self._query(audience, "#sk > :low", {":low": bound}, limit)

    def replay(self, audience: str, position: str, limit: int) -> Replay:
        """What a resume from ``position`` (a cursor, or a :func:`time_position`) replays.

        The entries of the window before the position (at most :data:`MAX_WINDOW_ENTRIES`,
        the entry at the position itself excluded), then up to ``limit`` entries after it,
        oldest first; ``cursor`` is the newest one replayed after the position, else the
        position itself, so a following resume always moves forward.
        """
        position = min(position, time_position(self._now_ms()))
        floor = self.retention_floor()
        low = _floor_cursor(cursor_time_ms(position) - self._window_ms)
        window = [
            entry
            for entry in self._query(
                audience,
                "#sk BETWEEN :low AND :high",
                {":low": max(low, floor), ":high": position},
                # None when the position is past retention: DynamoDB refuses reversed bounds.
                MAX_WINDOW_ENTRIES + 1 if position >= floor else 0,
            )
            if entry[0] != position
        ]
        later = self.read_after(audience, position, limit + 1)
        return Replay(
            entries=window[:MAX_WINDOW_ENTRIES] + later[:limit],
            cursor=later[:limit][-1][0] if later else position,
            more=len(later) > limit,
            truncated=low < floor or len(window) > MAX_WINDOW_ENTRIES,
        )

    def _query(
        self, audience: str, sort_condition: str, values: dict[str, str], limit: int
    ) -> list[tuple[str, InvoiceEvent]]:
        """Up to ``limit`` entries of ``audience`` whose cursor meets ``sort_condition``."""
        if limit <= 0:
            return []
        entries: list[tuple[str, InvoiceEvent]] = []
        start_key: dict[str, Any] | None = None
        while len(entries) < limit:
            page = self._table.query(
                f"#pk = :audience AND {sort_condition}",
                names={"#pk": EVENT_LOG_PARTITION_KEY, "#sk": EVENT_LOG_SORT_KEY},
                values={":audience": audience, **values},
                projection=[EVENT_LOG_SORT_KEY, EVENT_ATTRIBUTE],
                limit=min(self._page_size, limit - len(entries)),
                start_key=start_key,
                consistent=True,
            )
            for item in page.items:
                entries.append((str(item[EVENT_LOG_SORT_KEY]), json.loads(item[EVENT_ATTRIBUTE])))
            if page.last_key is None:
                break
            start_key = page.last_key
        return entries[:limit]

    def retention_floor(self) -> str:
        """The bound below which entries have left the retention window (a cursor prefix)."""
        return _floor_cursor(self._now_ms() - self._retention_seconds * 1000)
