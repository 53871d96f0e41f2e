"""``$default``: ping/pong, resume from the event log for the caller's audience only, and an
error frame (never an exception, always 200) for anything else a client sends."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from alexho_invoice_runtime.aws import clients
from alexho_invoice_runtime.contract import InvoiceEvent, audiences_for_event, build_event
from alexho_invoice_runtime.event_log import EventLog, make_cursor
from alexho_invoice_runtime.handlers import connect, default
from tests.runtime.conftest import AwsTables
from tests.runtime.events import connect_event, message_event, new_connection_id, token_times
from tests.runtime.fake_management_api import ManagementEndpoint

pytestmark = pytest.mark.usefixtures("management_endpoint")


def connected(user_type: str, customer_id: str = "") -> str:
    """A connection opened through the $connect handler, as the authorizer would pass it."""
    audience = "ADMIN" if user_type == "ADMIN" else f"CUSTOMER#{customer_id}"
    context = {
        "sub": f"sub-{user_type}-{customer_id}",
        "userType": user_type,
        "customerId": customer_id,
        "audience": audience,
        **token_times(),
    }
    connection_id = new_connection_id()
    connect.handler(connect_event(connection_id, context), None)
    return connection_id


def send(connection_id: str, body: str | bytes) -> dict[str, Any]:
    return default.handler(message_event(connection_id, body), None)


def resume(connection_id: str, after: str) -> dict[str, Any]:
    return send(connection_id, json.dumps({"action": "resume", "after": after}))


def invoice(number: int, customer_id: str, status: str = "SENT") -> InvoiceEvent:
    return build_event(
        "INVOICE_UPDATED", f"inv-{number}", customer_id, {"status": status}, source="test"
    )


def publish(log: EventLog, events: list[InvoiceEvent], start_ms: int) -> list[str]:
    """Record events as the fan-out does (its audiences, one millisecond apart)."""
    return [log.record(e, audiences_for_event(e), start_ms + i) for i, e in enumerate(events)]


@pytest.fixture
def log(aws: AwsTables) -> EventLog:
    return EventLog(clients.event_log_table(), aws.retention_seconds)


def frames(endpoint: ManagementEndpoint, connection_id: str) -> list[dict[str, Any]]:
    return endpoint.messages_for(connection_id)


@pytest.mark.usefixtures("aws")
def test_ping_is_answered_with_pong(management_endpoint: ManagementEndpoint) -> None:
    connection_id = connected("ADMIN")
    assert send(connection_id, '{"action":"ping"}') == {"statusCode": 200}
    assert frames(management_endpoint, connection_id) == [{"type": "pong"}]


def test_resume_replays_exactly_the_missed_events_of_the_customer_in_order(
    log: EventLog, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN a customer that saw the first event, then missed the others
    me = connected("CUSTOMER", "cust-42")
    events = [
        invoice(1, "cust-42"),
        invoice(2, "cust-7"),  # another customer's
        invoice(3, "cust-42", status="DRAFT"),  # a draft: admins only
        invoice(4, "cust-42"),
        invoice(5, "cust-42", status="PAID"),
    ]
    cursors = publish(log, events, int(time.time() * 1000))
    # WHEN it resumes after the first event's cursor
    assert resume(me, cursors[0]) == {"statusCode": 200}
    # THEN it gets events 4 and 5, in order, then the end of the resume
    received = frames(management_endpoint, me)
    assert received == [
        {"type": "event", "cursor": cursors[3], "event": events[3]},
        {"type": "event", "cursor": cursors[4], "event": events[4]},
        {
            "type": "resume-end",
            "cursor": cursors[4],
            "count": 2,
            "more": False,
            "truncated": False,
        },
    ]


def test_admin_resume_replays_every_missed_event(
    log: EventLog, management_endpoint: ManagementEndpoint
) -> None:
    admin = connected("ADMIN")
    events = [invoice(1, "cust-42", "DRAFT"), invoice(2, "cust-7"), invoice(3, "cust-42")]
    cursors = publish(log, events, int(time.time() * 1000))
    resume(admin, cursors[0])
    replayed = [f["cursor"] for f in frames(management_endpoint, admin) if f["type"] == "event"]
    assert replayed == cursors[1:]


def test_resume_never_replays_another_customers_events(
    log: EventLog, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN only events of another customer since the cursor
    me = connected("CUSTOMER", "cust-42")
    start = int(time.time() * 1000)
    [mine] = publish(log, [invoice(1, "cust-42")], start)
    publish(log, [invoice(n, "cust-7") for n in range(2, 6)], start + 10)
    # WHEN resuming THEN nothing is replayed
    resume(me, mine)
    assert frames(management_endpoint, me) == [
        {"type": "resume-end", "cursor": mine, "count": 0, "more": False, "truncated": False}
    ]


def test_resume_uses_the_stored_connection_not_the_message_context(
    log: EventLog, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN a customer connection whose message event carries an admin authorizer context
    me = connected("CUSTOMER", "cust-42")
    start = int(time.time() * 1000)
    [first, _] = publish(log, [invoice(1, "cust-42"), invoice(2, "cust-7")], start)
    forged = {"sub": "x", "userType": "ADMIN", "customerId": "", "audience": "ADMIN"}
    body = json.dumps({"action": "resume", "after": first})
    # WHEN it resumes THEN the stored customer audience decides: nothing of cust-7
    default.handler(message_event(me, body, authorizer=forged), None)
    assert [f["type"] for f in frames(management_endpoint, me)] == ["resume-end"]


def test_resume_beyond_one_batch_says_more(
    log: EventLog, management_endpoint: ManagementEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN resumes of three events at most, and five missed events
    monkeypatch.setattr(default, "RESUME_BATCH_LIMIT", 3)
    admin = connected("ADMIN")
    cursors = publish(log, [invoice(n, "cust-1") for n in range(6)], int(time.time() * 1000))
    # WHEN resuming from the first, then again from where the first resume ended
    resume(admin, cursors[0])
    first_end = frames(management_endpoint, admin)[-1]
    management_endpoint.clear()
    resume(admin, first_end["cursor"])
    second = frames(management_endpoint, admin)
    # THEN the first batch is full and says more; the second brings the rest, after the
    # recording window before its position (events the client may already have)
    assert first_end == {
        "type": "resume-end",
        "cursor": cursors[3],
        "count": 3,
        "more": True,
        "truncated": False,
    }
    assert [f["cursor"] for f in second] == [*cursors[:3], *cursors[4:], cursors[5]]
    assert second[-1]["more"] is False


@pytest.mark.usefixtures("aws")
def test_resume_from_before_the_retention_says_truncated(
    management_endpoint: ManagementEndpoint,
) -> None:
    admin = connected("ADMIN")
    ancient = make_cursor(int(time.time() * 1000) - 10 * 86_400_000, "old")
    resume(admin, ancient)
    assert frames(management_endpoint, admin)[-1]["truncated"] is True


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param("not json", "invalid-json", id="not-json"),
        pytest.param("", "invalid-json", id="empty"),
        pytest.param("[1, 2]", "invalid-message", id="array"),
        pytest.param('{"type": "ping"}', "invalid-message", id="no-action"),
        pytest.param('{"action": 7}', "invalid-message", id="action-not-string"),
        pytest.param('{"action": "subscribe"}', "unknown-action", id="unknown-action"),
        pytest.param('{"action": "resume"}', "invalid-cursor", id="resume-without-after"),
        pytest.param(
            '{"action": "resume", "after": "yesterday"}', "invalid-cursor", id="bad-after"
        ),
        pytest.param('{"action": "resume", "after": 5}', "invalid-cursor", id="after-number"),
        pytest.param("x" * (128 * 1024 + 1), "message-too-large", id="too-large"),
        pytest.param("é" * (64 * 1024 + 1), "message-too-large", id="too-large-utf8"),
        pytest.param(b"\xff\xfe", "invalid-json", id="binary-not-utf8"),
        pytest.param("[" * 100_000, "invalid-json", id="deep-nesting"),
    ],
)
def test_bad_message_gets_an_error_frame_and_the_connection_stays(
    body: str | bytes, code: str, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN a connected client WHEN it sends something the protocol does not allow
    connection_id = connected("CUSTOMER", "cust-42")
    response = send(connection_id, body)
    # THEN it gets one error frame with the code, and a 200 (the connection stays open)
    assert response == {"statusCode": 200}
    [frame] = frames(management_endpoint, connection_id)
    assert frame["type"] == "error"
    assert frame["code"] == code
    assert frame["message"]


@pytest.mark.usefixtures("aws")
def test_binary_frame_with_json_is_understood(management_endpoint: ManagementEndpoint) -> None:
    connection_id = connected("ADMIN")
    send(connection_id, b'{"action":"ping"}')
    assert frames(management_endpoint, connection_id) == [{"type": "pong"}]


@pytest.mark.usefixtures("aws")
def test_error_message_does_not_echo_the_client_input(
    management_endpoint: ManagementEndpoint,
) -> None:
    connection_id = connected("ADMIN")
    send(connection_id, '{"action": "<script>steal()</script>"}')
    assert "steal" not in json.dumps(frames(management_endpoint, connection_id))


@pytest.mark.usefixtures("aws")
def test_resume_on_an_unknown_connection_gets_an_error_frame(
    management_endpoint: ManagementEndpoint,
) -> None:
    # GIVEN a connection id without a row (its $connect row expired or was never written)
    stranger = new_connection_id()
    resume(stranger, make_cursor(int(time.time() * 1000), "x"))
    [frame] = frames(management_endpoint, stranger)
    assert frame["code"] == "unknown-connection"


@pytest.mark.usefixtures("aws")
def test_client_gone_during_the_reply_does_not_fail_the_handler(
    management_endpoint: ManagementEndpoint,
) -> None:
    # GIVEN a client that disconnected right after sending (the Management API answers 410)
    connection_id = connected("ADMIN")
    management_endpoint.gone.add(connection_id)
    # WHEN / THEN the handler still returns 200
    assert send(connection_id, '{"action":"ping"}') == {"statusCode": 200}


def test_storage_failure_is_answered_with_an_internal_error_frame(
    aws: AwsTables, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN a connected client and an event log that has become unreachable
    connection_id = connected("ADMIN")
    aws.event_log.delete()
    # WHEN it resumes
    response = resume(connection_id, make_cursor(int(time.time() * 1000), "x"))
    # THEN it is told in protocol terms, and the invocation reports the failure without raising
    assert response == {"statusCode": 500}
    [frame] = frames(management_endpoint, connection_id)
    assert (frame["type"], frame["code"]) == ("error", "internal-error")


@pytest.mark.usefixtures("aws")
def test_oversized_binary_frame_is_refused(management_endpoint: ManagementEndpoint) -> None:
    connection_id = connected("ADMIN")
    send(connection_id, b"{" + b" " * (128 * 1024) + b"}")
    [frame] = frames(management_endpoint, connection_id)
    assert frame["code"] == "message-too-large"
