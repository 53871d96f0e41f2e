"""Resume never skips (docs/architecture.md §8): an event recorded after a client's position is
replayed whatever the interleaving of concurrent fan-outs; ``since`` replays from a time.

The fan-outs are the event log's ``record`` with the stamp a fan-out took when it received the
event; the resumes go through the real ``$default`` handler or the log's ``replay``. A fake clock
and a table whose batch writes take a chosen time play out slow recordings deterministically.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alexho_invoice_runtime.aws import clients
from alexho_invoice_runtime.aws.dynamodb import Table
from alexho_invoice_runtime.aws.dynamodb_values import Item
from alexho_invoice_runtime.contract import InvoiceEvent, audiences_for_event, build_event
from alexho_invoice_runtime.event_log import (
    RECORDING_WINDOW_MS,
    EventLog,
    cursor_time_ms,
    time_position,
)
from alexho_invoice_runtime.handlers import connect, default
from tests.runtime.conftest import AwsTables
from tests.runtime.events import connect_event, message_event, new_connection_id, token_times
from tests.runtime.fake_management_api import ManagementEndpoint

CUSTOMER_ID = "cust-42"


def invoice(number: int, customer_id: str = CUSTOMER_ID) -> InvoiceEvent:
    return build_event(
        "INVOICE_UPDATED", f"inv-{number}", customer_id, {"status": "SENT"}, source="test"
    )


def now_ms() -> int:
    return int(time.time() * 1000)


def customer_connection() -> str:
    """A customer connection opened through the ``$connect`` handler."""
    context = {
        "sub": "portal-user",
        "userType": "CUSTOMER",
        "customerId": CUSTOMER_ID,
        "audience": f"CUSTOMER#{CUSTOMER_ID}",
        **token_times(),
    }
    connection_id = new_connection_id()
    connect.handler(connect_event(connection_id, context), None)
    return connection_id


def send(connection_id: str, message: dict[str, Any]) -> dict[str, Any]:
    return default.handler(message_event(connection_id, json.dumps(message)), None)


def replayed_ids(endpoint: ManagementEndpoint, connection_id: str) -> list[str]:
    return [f["event"]["id"] for f in endpoint.messages_for(connection_id) if f["type"] == "event"]


@pytest.fixture
def log(aws: AwsTables) -> EventLog:
    return EventLog(clients.event_log_table(), aws.retention_seconds)


def test_an_earlier_stamped_event_recorded_last_is_replayed_after_the_later_ones_cursor(
    log: EventLog, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN two fan-outs: A stamped its event first, B five milliseconds later, and B recorded
    # first; the client got B's live frame and so holds B's cursor
    me = customer_connection()
    stamp = now_ms() - 50
    event_a, event_b = invoice(1), invoice(2)
    cursor_b = log.record(event_b, audiences_for_event(event_b), stamp + 5)
    # WHEN A's recording lands only now, under its earlier cursor, and the client resumes
    cursor_a = log.record(event_a, audiences_for_event(event_a), stamp)
    assert cursor_a < cursor_b
    send(me, {"action": "resume", "after": cursor_b})
    # THEN A is replayed, and the resume ends where the client already was
    assert replayed_ids(management_endpoint, me) == [event_a["id"]]
    assert management_endpoint.messages_for(me)[-1]["cursor"] == cursor_b


class Clock:
    """A clock the test moves (epoch seconds)."""

    def __init__(self, start_ms: int) -> None:
        self.ms = start_ms

    def __call__(self) -> float:
        return self.ms / 1000


class SlowWrites(Table):
    """The event-log table (through the AWS layer) whose batch writes take ``delays_ms`` on
    ``clock`` (each write lands at the end of its delay); every other call is the table's."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clients.dynamodb(), clients.event_log_table().name)
        self._clock = clock
        self.delays_ms: list[int] = []

    def batch_write(self, puts: Iterable[Item] = (), deletes: Iterable[Item] = ()) -> None:
        if self.delays_ms:
            self._clock.ms += self.delays_ms.pop(0)
        super().batch_write(puts, deletes)


def test_a_recording_that_became_visible_after_the_window_is_moved_to_a_fresh_cursor(
    aws: AwsTables,
) -> None:
    # GIVEN a recording whose entry write takes longer than the recording window
    clock = Clock(now_ms())
    table = SlowWrites(clock)
    table.delays_ms = [RECORDING_WINDOW_MS + 1]
    log = EventLog(table, aws.retention_seconds, clock=clock)
    received = clock.ms
    # WHEN it is recorded
    cursor = log.record(invoice(1), ["ADMIN"], received)
    # THEN its cursor is a fresh one, within the window of when it became visible, and the
    # late entry is gone: the audience holds the event once
    assert cursor_time_ms(cursor) > received
    assert clock.ms - cursor_time_ms(cursor) <= RECORDING_WINDOW_MS
    assert [c for c, _ in log.read_after("ADMIN", None, 10)] == [cursor]


def test_resume_since_replays_what_was_recorded_from_that_time_on(
    log: EventLog, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN a page loaded 30 s ago and two events recorded since
    me = customer_connection()
    loaded_at = now_ms() - 30_000
    newer = [invoice(2), invoice(3)]
    cursors = [log.record(e, audiences_for_event(e), now_ms()) for e in newer]
    # WHEN the client resumes since the page's load time
    send(me, {"action": "resume", "since": loaded_at})
    # THEN both come back, in order, and the end is the newest cursor
    frames = management_endpoint.messages_for(me)
    assert [f["event"]["id"] for f in frames if f["type"] == "event"] == [e["id"] for e in newer]
    assert frames[-1] == {
        "type": "resume-end",
        "cursor": cursors[-1],
        "count": 2,
        "more": False,
        "truncated": False,
    }


def test_resume_since_skips_what_was_recorded_before_the_window(
    aws: AwsTables, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN one event recorded a minute before the page loaded, and none since
    me = customer_connection()
    loaded_at = now_ms() - 1_000
    before = (loaded_at - 60_000) / 1000
    early = invoice(1)
    EventLog(clients.event_log_table(), aws.retention_seconds, clock=lambda: before).record(
        early, audiences_for_event(early), int(before * 1000)
    )
    # WHEN the client resumes since the load time
    send(me, {"action": "resume", "since": loaded_at})
    # THEN nothing is replayed and the end is a position at the load time
    assert management_endpoint.messages_for(me) == [
        {
            "type": "resume-end",
            "cursor": time_position(loaded_at),
            "count": 0,
            "more": False,
            "truncated": False,
        }
    ]


@pytest.mark.usefixtures("aws")
def test_resume_since_beyond_the_retention_says_truncated(
    management_endpoint: ManagementEndpoint,
) -> None:
    me = customer_connection()
    send(me, {"action": "resume", "since": now_ms() - 10 * 86_400_000})
    assert management_endpoint.messages_for(me)[-1]["truncated"] is True


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize(
    ("message", "code"),
    [
        pytest.param({"since": "1733486400000"}, "invalid-since", id="string"),
        pytest.param({"since": -1}, "invalid-since", id="negative"),
        pytest.param({"since": 1.5}, "invalid-since", id="fraction"),
        pytest.param({"since": True}, "invalid-since", id="boolean"),
        pytest.param({"since": None}, "invalid-since", id="null"),
        pytest.param({"since": 10**13}, "invalid-since", id="fourteen-digits"),
        pytest.param({"since": 1, "after": "x"}, "invalid-message", id="both"),
    ],
)
def test_a_bad_since_gets_an_error_frame_and_the_connection_stays(
    management_endpoint: ManagementEndpoint, message: dict[str, Any], code: str
) -> None:
    # GIVEN a connection WHEN it resumes with a bad position
    me = customer_connection()
    response = send(me, {"action": "resume", **message})
    # THEN it gets an error frame with the code, a 200, and still answers pings
    assert response == {"statusCode": 200}
    assert [f.get("code") for f in management_endpoint.messages_for(me)] == [code]
    send(me, {"action": "ping"})
    assert management_endpoint.messages_for(me)[-1] == {"type": "pong"}


# --- the property: random interleavings of fan-outs, slow writes, drops and resumes -----------


@dataclass
class Client:
    """What a client knows: the events it holds and where it resumes from. While connected it
    gets the live frame of every recording that completes; after a drop it gets nothing until
    it reconnects, which resumes from its position (``more`` followed)."""

    position: str
    connected: bool = True
    held: set[str] = field(default_factory=set)
    gap: bool = False

    def live(self, cursor: str, event_id: str) -> None:
        if self.connected:
            self.held.add(event_id)
            self.position = max(self.position, cursor)

    def reconnect(self, log: EventLog, audience: str) -> None:
        self.connected = True
        while True:
            replay = log.replay(audience, self.position, 3)
            self.held.update(event["id"] for _, event in replay.entries)
            self.gap |= replay.truncated
            self.position = max(self.position, replay.cursor)
            if not replay.more:
                return


recording = st.tuples(
    st.integers(0, 2 * RECORDING_WINDOW_MS),  # in flight before the write: now - stamp
    st.integers(0, 2 * RECORDING_WINDOW_MS),  # how long the entry write takes
)
step = st.one_of(
    st.tuples(st.just("record"), recording),
    st.tuples(st.just("drop"), st.none()),
    st.tuples(st.just("reconnect"), st.none()),
    st.tuples(st.just("wait"), st.integers(0, RECORDING_WINDOW_MS)),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=8))
def test_no_interleaving_of_recordings_drops_and_resumes_loses_an_event(
    aws: AwsTables, steps: list[tuple[str, Any]]
) -> None:
    # GIVEN a fresh audience, a clock the steps move, and a client that resumed at the start
    audience = f"CUSTOMER#prop-{uuid.uuid4().hex[:12]}"
    clock = Clock(now_ms())
    table = SlowWrites(clock)
    log = EventLog(table, aws.retention_seconds, clock=clock, page_size=4)
    client = Client(position=time_position(clock.ms))
    client.reconnect(log, audience)
    recorded: set[str] = set()
    # WHEN fan-outs record (stamped before they write, writes taking any time) while the
    # client drops and reconnects at any point
    for number, (kind, argument) in enumerate(steps):
        if kind == "record":
            in_flight, write_ms = argument
            event = invoice(number)
            table.delays_ms = [write_ms]
            cursor = log.record(event, [audience], clock.ms - in_flight)
            recorded.add(event["id"])
            client.live(cursor, event["id"])
        elif kind == "drop":
            client.connected = False
        elif kind == "reconnect":
            client.reconnect(log, audience)
        else:
            clock.ms += argument
    client.reconnect(log, audience)
    # THEN the client holds every event recorded, and nothing else — or it was told of a gap
    assert client.gap or client.held == recorded
