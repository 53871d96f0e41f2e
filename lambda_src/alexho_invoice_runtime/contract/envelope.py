"""The invoice event envelope (docs/architecture.md §2): its types, its schema, building,
validating and encoding.

The JSON Schema file beside this module is the single source of truth; the publisher SDK and the
Lambda runtime both validate through :func:`validate_event`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any, Final, NotRequired, TypedDict

from alexho_invoice_runtime.contract.schema_validator import SchemaValidator
from alexho_invoice_runtime.definitions import MAX_MESSAGE_BYTES

SCHEMA_FILE: Final = "invoice_event.schema.json"
SPEC_VERSION: Final = "1.0"
#: Longest cursor the runtime may put in an event frame; the size budget reserves room for it.
MAX_CURSOR_LENGTH: Final = 96


class EventType(StrEnum):
    """The five invoice event types."""

    INVOICE_CREATED = "INVOICE_CREATED"
    INVOICE_UPDATED = "INVOICE_UPDATED"
    INVOICE_SENT = "INVOICE_SENT"
    INVOICE_PAID = "INVOICE_PAID"
    PAYMENT_RECORDED = "PAYMENT_RECORDED"


class InvoiceEvent(TypedDict):
    """The envelope as it travels: SNS message body, event-log item, client frame payload."""

    specversion: str
    id: str
    source: str
    type: str
    time: str
    subject: str
    customerid: str
    data: dict[str, Any]
    #: Only on probe events (see :mod:`alexho_invoice_runtime.contract.probe`).
    probeconnectionid: NotRequired[str]


class InvalidEventError(ValueError):
    """An envelope that breaks the contract. ``problems`` names paths and rules, never values."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid invoice event: " + "; ".join(problems))


class EventTooLargeError(InvalidEventError):
    """An envelope whose client frame would exceed API Gateway's 128 KB message limit."""


@cache
def schema() -> dict[str, Any]:
    """The envelope's JSON Schema, as loaded from the packaged file."""
    text = (
        resources.files("alexho_invoice_runtime.contract").joinpath(SCHEMA_FILE).read_text("utf-8")
    )
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _validator() -> SchemaValidator:
    return SchemaValidator(schema())


@cache
def status_values() -> tuple[str, ...]:
    """The invoice statuses the schema allows."""
    return tuple(schema()["$defs"]["status"]["enum"])


def encode_event(event: Mapping[str, Any]) -> str:
    """The canonical JSON text of an envelope (compact, UTF-8 kept as is)."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


def encode_event_frame(cursor: str, event: Mapping[str, Any]) -> str:
    """The frame a client receives for one event (docs/architecture.md §5)."""
    return json.dumps(
        {"type": "event", "cursor": cursor, "event": event},
        separators=(",", ":"),
        ensure_ascii=False,
    )


#: Bytes a frame adds around its envelope when the cursor has its maximum length.
FRAME_OVERHEAD_BYTES: Final = len(encode_event_frame("c" * MAX_CURSOR_LENGTH, {}).encode()) - 2
#: Largest encoded envelope that still reaches a client whole.
MAX_EVENT_BYTES: Final = MAX_MESSAGE_BYTES - FRAME_OVERHEAD_BYTES


def validate_event(candidate: Any) -> InvoiceEvent:
    """Check an envelope against the schema, the id consistency rule and the size limit.

    Returns the same object typed as :class:`InvoiceEvent`; raises :class:`InvalidEventError`
    (or :class:`EventTooLargeError`) listing every problem found.
    """
    problems = _validator().errors(candidate)
    if not problems:
        problems = _consistency_problems(candidate)
    if problems:
        raise InvalidEventError(problems)
    try:
        size = len(encode_event(candidate).encode())
    except RecursionError:
        raise InvalidEventError(["$.data: nested too deeply to encode"]) from None
    if size > MAX_EVENT_BYTES:
        raise EventTooLargeError(
            [f"$: encoded event is {size} bytes; at most {MAX_EVENT_BYTES} fit in one frame"]
        )
    event: InvoiceEvent = candidate
    return event


def parse_event(text: str) -> InvoiceEvent:
    """Decode and validate an envelope from its JSON text (an SNS message body)."""
    try:
        candidate = json.loads(text)
    except (TypeError, ValueError) as error:
        raise InvalidEventError([f"$: not JSON ({type(error).__name__})"]) from None
    except RecursionError:
        raise InvalidEventError(["$: nested too deeply to decode"]) from None
    return validate_event(candidate)


def build_event(
    event_type: EventType | str,
    invoice_id: str,
    customer_id: str,
    data: Mapping[str, Any],
    *,
    source: str,
    event_id: str | None = None,
    time: datetime | None = None,
) -> InvoiceEvent:
    """Build and validate an envelope; ``data`` gets ``invoiceId`` and ``customerId`` filled in."""
    payload = dict(data)
    for key, value in (("invoiceId", invoice_id), ("customerId", customer_id)):
        if payload.setdefault(key, value) != value:
            raise InvalidEventError([f"$.data.{key}: differs from the {key} argument"])
    moment = (time or datetime.now(UTC)).astimezone(UTC)
    candidate = {
        "specversion": SPEC_VERSION,
        "id": event_id or str(uuid.uuid4()),
        "source": source,
        "type": str(event_type),
        "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "subject": invoice_id,
        "customerid": customer_id,
        "data": payload,
    }
    _require_json(candidate)
    return validate_event(candidate)


def _require_json(candidate: Mapping[str, Any]) -> None:
    try:
        json.dumps(candidate, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InvalidEventError([f"$.data: not JSON-serializable ({error})"]) from None
    except RecursionError:
        raise InvalidEventError(["$.data: nested too deeply to encode"]) from None


def _consistency_problems(event: Mapping[str, Any]) -> list[str]:
    problems = []
    data = event["data"]
    if data["invoiceId"] != event["subject"]:
        problems.append("$.data.invoiceId: must equal $.subject")
    if data["customerId"] != event["customerid"]:
        problems.append("$.data.customerId: must equal $.customerid")
    try:
        datetime.fromisoformat(event["time"])
    except ValueError:
        problems.append("$.time: not a valid RFC 3339 timestamp")
    return problems
