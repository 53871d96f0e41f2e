"""The seed scenario: an admin creates an invoice as a draft, updates it, sends it, and it is
paid. An admin, the invoice's customer (cust-42) and another customer (cust-99) listen."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from alexho_invoice_local.cli.client import InvoiceStreamClient, ReceivedFrame
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_local.tokens import LocalTokens
from alexho_invoice_publisher import InvoiceEventPublisher, PublishResult
from alexho_invoice_runtime.contract import EventType, audiences_for_event
from alexho_invoice_runtime.contract.visibility import customer_audience
from alexho_invoice_runtime.definitions import ADMIN_AUDIENCE

CUSTOMER_ID: Final = "cust-42"
OTHER_CUSTOMER_ID: Final = "cust-99"
INVOICE_ID: Final = "inv-2026-0042"
#: How long to wait for an event that should arrive (the design promises "within a second").
ARRIVAL_TIMEOUT_SECONDS: Final = 5.0
#: After the admin got an event, how long other clients get to (wrongly) receive it too.
STRAGGLER_SECONDS: Final = 0.3

_INVOICE: Final[dict[str, Any]] = {
    "number": "INV-2026-0042",
    "currency": "EUR",
    "total": "1250.00",
    "dueDate": "2026-12-27",
}


@dataclass(frozen=True)
class ScenarioStep:
    """One thing the backend does to the invoice."""

    event_type: EventType
    data: dict[str, Any]


SEED_STEPS: Final = (
    ScenarioStep(EventType.INVOICE_CREATED, {**_INVOICE, "status": "DRAFT", "version": 1}),
    ScenarioStep(
        EventType.INVOICE_UPDATED,
        {**_INVOICE, "status": "DRAFT", "version": 2, "total": "1300.00"},
    ),
    ScenarioStep(
        EventType.INVOICE_SENT, {**_INVOICE, "status": "SENT", "version": 3, "total": "1300.00"}
    ),
    ScenarioStep(
        EventType.INVOICE_PAID, {**_INVOICE, "status": "PAID", "version": 4, "total": "1300.00"}
    ),
    ScenarioStep(
        EventType.PAYMENT_RECORDED,
        {"status": "PAID", "version": 4, "amount": "1300.00", "currency": "EUR"},
    ),
)


@dataclass
class StepOutcome:
    """What each listener saw of one published event: latency in ms, or ``None`` (nothing)."""

    step: ScenarioStep
    event_id: str
    expected: dict[str, bool]
    seen_ms: dict[str, float | None] = field(default_factory=dict)

    @property
    def as_expected(self) -> bool:
        """Every listener got the event exactly when it should have."""
        return all(
            (self.seen_ms.get(name) is not None) == want for name, want in self.expected.items()
        )


@dataclass(frozen=True)
class SeedRun:
    """The outcome of each step, and every frame each listener received."""

    outcomes: list[StepOutcome]
    frames: dict[str, list[ReceivedFrame]]

    @property
    def as_expected(self) -> bool:
        """Every step reached exactly the listeners it should have."""
        return all(outcome.as_expected for outcome in self.outcomes)


LISTENERS: Final = ("admin", f"customer {CUSTOMER_ID}", f"customer {OTHER_CUSTOMER_ID}")
_AUDIENCE_OF: Final = {
    LISTENERS[0]: ADMIN_AUDIENCE,
    LISTENERS[1]: customer_audience(CUSTOMER_ID),
    LISTENERS[2]: customer_audience(OTHER_CUSTOMER_ID),
}


async def play_seed_scenario(
    endpoints: StackEndpoints,
    publisher: InvoiceEventPublisher,
    *,
    on_step: Callable[[StepOutcome], None] | None = None,
) -> SeedRun:
    """Connect the three listeners, publish :data:`SEED_STEPS` one by one, record who saw what."""
    tokens = LocalTokens(endpoints, ttl_seconds=300)
    credentials = {
        LISTENERS[0]: tokens.admin(),
        LISTENERS[1]: tokens.customer(CUSTOMER_ID),
        LISTENERS[2]: tokens.customer(OTHER_CUSTOMER_ID),
    }
    async with contextlib.AsyncExitStack() as stack:
        clients = {
            name: await stack.enter_async_context(
                InvoiceStreamClient(endpoints.websocket_url, token)
            )
            for name, token in credentials.items()
        }
        outcomes = []
        for step in SEED_STEPS:
            outcome = await _play_step(step, publisher, clients)
            outcomes.append(outcome)
            if on_step is not None:
                on_step(outcome)
        return SeedRun(outcomes, {name: list(client.frames) for name, client in clients.items()})


async def _play_step(
    step: ScenarioStep,
    publisher: InvoiceEventPublisher,
    clients: dict[str, InvoiceStreamClient],
) -> StepOutcome:
    published_at = time.monotonic()
    result: PublishResult = await asyncio.to_thread(
        publisher.publish, step.event_type, INVOICE_ID, CUSTOMER_ID, step.data
    )
    audiences = set(audiences_for_event(result.event))
    outcome = StepOutcome(
        step, result.event_id, {name: _AUDIENCE_OF[name] in audiences for name in clients}
    )
    deadline = published_at + ARRIVAL_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        _record_arrivals(outcome, clients, published_at)
        if all(
            outcome.seen_ms.get(name) is not None for name, want in outcome.expected.items() if want
        ):
            break
        await asyncio.sleep(0.005)
    await asyncio.sleep(STRAGGLER_SECONDS)
    _record_arrivals(outcome, clients, published_at)
    return outcome


def _record_arrivals(
    outcome: StepOutcome, clients: dict[str, InvoiceStreamClient], published_at: float
) -> None:
    for name, client in clients.items():
        arrival = next(
            (
                frame.received_monotonic
                for frame in client.frames
                if frame.event is not None and frame.event.get("id") == outcome.event_id
            ),
            None,
        )
        outcome.seen_ms[name] = None if arrival is None else (arrival - published_at) * 1000
