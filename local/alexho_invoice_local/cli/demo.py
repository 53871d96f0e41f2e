"""``alexho-local demo``: play the seed scenario and print what each client saw."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from alexho_invoice_local.aws.publishing import local_publisher
from alexho_invoice_local.cli.seed_scenario import (
    INVOICE_ID,
    LISTENERS,
    StepOutcome,
    play_seed_scenario,
)
from alexho_invoice_local.endpoints import StackEndpoints

_STEP_WIDTH = 30
_CELL_WIDTH = 20


def _cell(outcome: StepOutcome, listener: str) -> str:
    seen = outcome.seen_ms.get(listener)
    mark = "—" if seen is None else f"✓ {seen:.0f} ms"
    if (seen is not None) != outcome.expected[listener]:
        mark += "  UNEXPECTED"
    return mark


def _row(outcome: StepOutcome) -> str:
    step = f"{outcome.step.event_type} ({outcome.step.data['status']})"
    return step.ljust(_STEP_WIDTH) + "".join(
        _cell(outcome, listener).ljust(_CELL_WIDTH) for listener in LISTENERS
    )


def run_demo(endpoints: StackEndpoints, out: TextIO | None = None) -> int:
    """Play the scenario against ``endpoints``; exit code 0 when everyone saw what they should."""
    out = out or sys.stdout
    print(f"Seed scenario on {endpoints.websocket_url}: invoice {INVOICE_ID}", file=out)
    print(
        "event (status)".ljust(_STEP_WIDTH) + "".join(n.ljust(_CELL_WIDTH) for n in LISTENERS),
        file=out,
    )

    def on_step(outcome: StepOutcome) -> None:
        print(_row(outcome), file=out, flush=True)

    seed_run = asyncio.run(
        play_seed_scenario(
            endpoints, local_publisher(endpoints, "alexho-local-demo"), on_step=on_step
        )
    )
    if seed_run.as_expected:
        print(
            "\nAs designed: the admin saw all five events; the customer saw nothing while the "
            "invoice was a draft, then SENT, PAID and PAYMENT_RECORDED; the other customer saw "
            "nothing.",
            file=out,
        )
        return 0
    print(
        "\nUNEXPECTED deliveries (marked above): the system does not behave as designed.", file=out
    )
    return 1
