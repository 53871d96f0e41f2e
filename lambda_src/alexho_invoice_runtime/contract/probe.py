"""Probe events: an invoice event addressed to one connection, for ``alexho-realtime check``.

A probe carries the envelope's ``probeconnectionid`` extension attribute. The fan-out delivers
it in a ``probe`` frame to that one connection (if the connections table holds it) and to no
audience, and never records it in the event log: no admin or customer sees it, live or on
``resume``. A fan-out older than this attribute rejects the envelope (the schema allows no
unknown attribute) and dead-letters it; it never broadcasts it.

Only the probe's own shape is a probe (:func:`check_probe_shape`): an ``INVOICE_UPDATED`` of
the invoice :data:`PROBE_SUBJECT` whose data is nothing but ``status: DRAFT`` and the ids — what
:func:`build_probe_event` makes. Any other envelope carrying ``probeconnectionid`` is refused
(the fan-out dead-letters it), so the attribute cannot carry invoice data past the visibility
rule to one chosen connection.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from alexho_invoice_runtime.contract.envelope import (
    EventType,
    InvalidEventError,
    InvoiceEvent,
    build_event,
    validate_event,
)

#: The envelope attribute that makes an event a probe (a CloudEvents extension attribute name).
PROBE_CONNECTION_ATTRIBUTE: Final = "probeconnectionid"
#: ``type`` of the frame a probe arrives in (never ``event``: clients do not treat it as one).
PROBE_FRAME_TYPE: Final = "probe"
#: ``subject`` (invoice id) of every probe: a probe is about no real invoice.
PROBE_SUBJECT: Final = "alexho-realtime-probe"


def probe_connection_id(event: Mapping[str, Any]) -> str | None:
    """The connection a probe is addressed to, or ``None`` for an ordinary event."""
    target = event.get(PROBE_CONNECTION_ATTRIBUTE)
    return target if isinstance(target, str) else None


def check_probe_shape(event: Mapping[str, Any]) -> None:
    """Raise :class:`InvalidEventError` when ``event`` carries ``probeconnectionid`` but is not
    exactly a probe as :func:`build_probe_event` makes one (no invoice data)."""
    if PROBE_CONNECTION_ATTRIBUTE not in event:
        return
    shape = {
        "type": str(EventType.INVOICE_UPDATED),
        "subject": PROBE_SUBJECT,
        "data": {
            "status": "DRAFT",
            "invoiceId": PROBE_SUBJECT,
            "customerId": event.get("customerid"),
        },
    }
    problems = [
        f"$.{name}: an event carrying {PROBE_CONNECTION_ATTRIBUTE} must be a probe"
        for name, value in shape.items()
        if event.get(name) != value
    ]
    if problems:
        raise InvalidEventError(problems)


def build_probe_event(connection_id: str, customer_id: str, *, source: str) -> InvoiceEvent:
    """A validated probe envelope for ``connection_id`` (an ``INVOICE_UPDATED`` of a draft).

    ``customer_id`` should be one no real customer has (the check mints its own).
    """
    event = build_event(
        EventType.INVOICE_UPDATED,
        PROBE_SUBJECT,
        customer_id,
        {"status": "DRAFT"},
        source=source,
    )
    probe: dict[str, Any] = {**event, PROBE_CONNECTION_ATTRIBUTE: connection_id}
    return validate_event(probe)


def encode_probe_frame(event: Mapping[str, Any]) -> str:
    """``{"type": "probe", "event": <envelope>}``: how a probe reaches its connection."""
    if probe_connection_id(event) is None:
        raise InvalidEventError([f"$.{PROBE_CONNECTION_ATTRIBUTE}: a probe needs it"])
    return json.dumps(
        {"type": PROBE_FRAME_TYPE, "event": event}, separators=(",", ":"), ensure_ascii=False
    )
