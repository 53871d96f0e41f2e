"""The event contract shared by the runtime and the publisher SDK (docs/architecture.md §2, §3)."""

from alexho_invoice_runtime.contract.envelope import (
    FRAME_OVERHEAD_BYTES,
    MAX_CURSOR_LENGTH,
    MAX_EVENT_BYTES,
    EventTooLargeError,
    EventType,
    InvalidEventError,
    InvoiceEvent,
    build_event,
    encode_event,
    encode_event_frame,
    parse_event,
    schema,
    status_values,
    validate_event,
)
from alexho_invoice_runtime.contract.probe import (
    PROBE_CONNECTION_ATTRIBUTE,
    PROBE_FRAME_TYPE,
    build_probe_event,
    encode_probe_frame,
    probe_connection_id,
)
from alexho_invoice_runtime.contract.visibility import (
    DRAFT_STATUS,
    audience_for,
    audiences_for_event,
    customer_audience,
)

__all__ = [
    "DRAFT_STATUS",
    "FRAME_OVERHEAD_BYTES",
    "MAX_CURSOR_LENGTH",
    "MAX_EVENT_BYTES",
    "PROBE_CONNECTION_ATTRIBUTE",
    "PROBE_FRAME_TYPE",
    "EventTooLargeError",
    "EventType",
    "InvalidEventError",
    "InvoiceEvent",
    "audience_for",
    "audiences_for_event",
    "build_event",
    "build_probe_event",
    "customer_audience",
    "encode_event",
    "encode_event_frame",
    "encode_probe_frame",
    "parse_event",
    "probe_connection_id",
    "schema",
    "status_values",
    "validate_event",
]
