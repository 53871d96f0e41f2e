"""SNS-triggered fan-out: each invoice event goes to every connection allowed to see it.

Thin adapter over :mod:`alexho_invoice_runtime.fanout`. A malformed event, an event id already
recorded with other content, or a failure of the whole
invocation (DynamoDB unreachable, a bug) raises, so Lambda retries and then sends the event to
the on-failure queue; failed posts to single connections are only counted. Emits one EMF
document per invocation (Delivered, Gone, Failed, Recipients, Retries, Expired, Revoked,
Malformed, DurationMs)
and one log line per event with its counts.
"""

from __future__ import annotations

import time
from typing import Any

from alexho_invoice_runtime.event_log import EventIdConflictError
from alexho_invoice_runtime.fanout.delivery import event_delivery
from alexho_invoice_runtime.fanout.settings import FanoutSettings
from alexho_invoice_runtime.fanout.sns_records import (
    MalformedEventError,
    invoice_event_of,
    rejected,
    sns_messages,
)
from alexho_invoice_runtime.observability import (
    Metrics,
    get_logger,
    lambda_invocation,
    set_correlation_id,
)

_log = get_logger(__name__)


@lambda_invocation(correlation_id=lambda _event: None)
def handler(event: dict[str, Any], context: Any, metrics: Metrics) -> dict[str, int]:
    """Deliver the invoice event of each SNS record (each message's id is the correlation id
    of its log lines); returns the invocation's counts."""
    started = time.perf_counter()
    totals = {
        "recipients": 0,
        "delivered": 0,
        "gone": 0,
        "failed": 0,
        "retries": 0,
        "expired": 0,
        "revoked": 0,
    }
    try:
        messages = sns_messages(event)
        delivery = event_delivery(FanoutSettings.from_environ())
        for message in messages:
            set_correlation_id(message.message_id)
            invoice_event = invoice_event_of(message)
            try:
                report = delivery.deliver(invoice_event, received_at_ms=int(time.time() * 1000))
            except EventIdConflictError as error:
                # The id names another event already: refused, never delivered, log unchanged.
                raise rejected(message, [str(error)]) from None
            _log.info("invoice event fanned out", extra=report.log_fields())
            for name, value in (
                ("Recipients", report.recipients),
                ("Delivered", report.delivered),
                ("Gone", report.gone),
                ("Failed", report.failed),
                ("Retries", report.retries),
                ("Expired", report.expired),
                ("Revoked", report.revoked),
            ):
                metrics.add(name, value)
                totals[name.lower()] += value
    except MalformedEventError:
        metrics.add("Malformed", 1)
        raise
    finally:
        metrics.add("DurationMs", (time.perf_counter() - started) * 1000, "Milliseconds")
    return totals
