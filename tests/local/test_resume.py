"""``resume`` after a reconnect replays exactly what the audience missed, then ``resume-end``."""

from __future__ import annotations

from typing import Any

from alexho_invoice_local.cli.client import InvoiceStreamClient
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_local.stack import LocalStack
from alexho_invoice_local.tokens import LocalTokens
from alexho_invoice_publisher import InvoiceEventPublisher
from tests.local.conftest import publish, run, wait_until

CUSTOMER = "cust-31"


def test_resume_after_reconnect_delivers_exactly_the_missed_events(
    stack: LocalStack,
    endpoints: StackEndpoints,
    tokens: LocalTokens,
    publisher: InvoiceEventPublisher,
) -> None:
    async def scenario() -> tuple[list[str], list[dict[str, Any]]]:
        token = tokens.customer(CUSTOMER)
        # (counted before the first publish: the worker counts an invocation a moment after its
        # delivery, so a count read once the first event arrived may still miss that one)
        handled = stack.worker.stats.succeeded
        # GIVEN a customer who saw one event, remembered its cursor and went away
        async with InvoiceStreamClient(endpoints.websocket_url, token) as first:
            publish(publisher, "INVOICE_SENT", CUSTOMER, "SENT", "inv-r1")
            (seen,) = await first.wait_for_events(1, 5)
            cursor = first.frames[-1].frame["cursor"]
        # WHILE away: two events for it, a draft it may not see, another customer's event
        missed = [
            publish(publisher, "INVOICE_PAID", CUSTOMER, "PAID", "inv-r1").event_id,
            publish(publisher, "INVOICE_SENT", CUSTOMER, "SENT", "inv-r2").event_id,
        ]
        publish(publisher, "INVOICE_CREATED", CUSTOMER, "DRAFT", "inv-r3")
        publish(publisher, "INVOICE_SENT", "cust-32", "SENT", "inv-r4")
        assert wait_until(lambda: stack.worker.stats.succeeded >= handled + 5)
        # WHEN it reconnects and resumes after its cursor
        async with InvoiceStreamClient(endpoints.websocket_url, token) as second:
            await second.send({"action": "resume", "after": cursor})
            frames = [(await second.next_frame(5)).frame for _ in range(len(missed) + 1)]
        assert seen["id"] not in missed
        return missed, frames

    missed, frames = run(scenario())
    # THEN it gets exactly the two missed events (in the log's cursor order: SNS does not
    # order deliveries, so concurrent fan-outs may log them either way), then resume-end
    replayed = frames[:-1]
    assert sorted(frame["event"]["id"] for frame in replayed) == sorted(missed)
    assert [frame["cursor"] for frame in replayed] == sorted(frame["cursor"] for frame in replayed)
    assert frames[-1]["type"] == "resume-end"
    assert frames[-1]["count"] == len(missed)
