"""The seed's scenario over real WebSocket clients: create as a draft, update, send, pay.

One run of the scenario (admin, customer cust-42 and customer cust-99 listening) serves the
tests of this module; each test checks one thing the design promises about it.
"""

from __future__ import annotations

import pytest

from alexho_invoice_local.cli.seed_scenario import LISTENERS, SeedRun, play_seed_scenario
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_publisher import InvoiceEventPublisher
from alexho_invoice_runtime.contract import EventType
from tests.local.conftest import run

ADMIN, CUSTOMER, OTHER_CUSTOMER = LISTENERS


@pytest.fixture(scope="module")
def seed_run(endpoints: StackEndpoints, publisher: InvoiceEventPublisher) -> SeedRun:
    return run(play_seed_scenario(endpoints, publisher))


def event_types(seed_run: SeedRun, listener: str) -> list[str]:
    return [
        str(frame.event["type"]) for frame in seed_run.frames[listener] if frame.event is not None
    ]


def test_customer_sees_nothing_while_the_invoice_is_a_draft(seed_run: SeedRun) -> None:
    # WHEN the invoice is created and updated as a draft
    draft_steps = [
        outcome for outcome in seed_run.outcomes if outcome.step.data["status"] == "DRAFT"
    ]
    assert len(draft_steps) == 2
    # THEN its customer received neither event
    assert all(outcome.seen_ms[CUSTOMER] is None for outcome in draft_steps)


def test_customer_sees_the_sent_invoice_within_a_second(seed_run: SeedRun) -> None:
    sent = next(o for o in seed_run.outcomes if o.step.event_type == EventType.INVOICE_SENT)
    latency = sent.seen_ms[CUSTOMER]
    assert latency is not None
    assert latency < 1000


def test_customer_sees_sent_then_paid_then_payment_recorded(seed_run: SeedRun) -> None:
    assert event_types(seed_run, CUSTOMER) == [
        EventType.INVOICE_SENT,
        EventType.INVOICE_PAID,
        EventType.PAYMENT_RECORDED,
    ]


def test_admin_sees_all_five_event_types(seed_run: SeedRun) -> None:
    assert event_types(seed_run, ADMIN) == [str(event_type) for event_type in EventType]


def test_another_customer_sees_nothing_of_it(seed_run: SeedRun) -> None:
    assert seed_run.frames[OTHER_CUSTOMER] == []


def test_events_arrive_unchanged_in_event_frames_with_a_cursor(seed_run: SeedRun) -> None:
    frames = [frame.frame for frame in seed_run.frames[ADMIN]]
    published_ids = [outcome.event_id for outcome in seed_run.outcomes]
    assert [frame["event"]["id"] for frame in frames] == published_ids
    assert all(frame["type"] == "event" and frame["cursor"] for frame in frames)
