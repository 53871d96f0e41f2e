"""An event as an SNS message: body, message attributes, and PublishBatch limits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from alexho_invoice_runtime.contract import InvoiceEvent, encode_event
from alexho_invoice_runtime.definitions import (
    CUSTOMER_ID_MESSAGE_ATTRIBUTE,
    EVENT_TYPE_MESSAGE_ATTRIBUTE,
)

#: An SNS ``MessageAttributeValue``: ``{"DataType": ..., "StringValue": ...}``.
MessageAttributeValue = dict[str, str]

#: Most entries in one SNS PublishBatch call.
MAX_BATCH_ENTRIES: Final = 10
#: Most bytes of messages and message attributes in one SNS PublishBatch call (256 KiB).
MAX_BATCH_PAYLOAD_BYTES: Final = 256 * 1024
STRING_DATA_TYPE: Final = "String"


def message_body(event: InvoiceEvent) -> str:
    """The SNS message body: the envelope's canonical JSON."""
    return encode_event(event)


def message_attributes(event: InvoiceEvent) -> dict[str, MessageAttributeValue]:
    """The ``eventType`` and ``customerId`` String attributes that filter policies select on."""
    return {
        EVENT_TYPE_MESSAGE_ATTRIBUTE: {"DataType": STRING_DATA_TYPE, "StringValue": event["type"]},
        CUSTOMER_ID_MESSAGE_ATTRIBUTE: {
            "DataType": STRING_DATA_TYPE,
            "StringValue": event["customerid"],
        },
    }


def payload_bytes(body: str, attributes: dict[str, MessageAttributeValue]) -> int:
    """Bytes SNS counts for a message: its body plus each attribute's name, type and value."""
    size = len(body.encode())
    for name, value in attributes.items():
        size += len(name.encode()) + len(value["DataType"].encode())
        size += len(value["StringValue"].encode())
    return size


def plan_batches(
    sizes: Sequence[int],
    *,
    max_entries: int = MAX_BATCH_ENTRIES,
    max_bytes: int = MAX_BATCH_PAYLOAD_BYTES,
) -> list[range]:
    """Split entries of the given payload sizes, in order, into PublishBatch calls that respect
    both limits. An entry larger than ``max_bytes`` on its own gets a call of its own."""
    batches: list[range] = []
    start, total = 0, 0
    for index, size in enumerate(sizes):
        if index > start and (index - start >= max_entries or total + size > max_bytes):
            batches.append(range(start, index))
            start, total = index, 0
        total += size
    if start < len(sizes):
        batches.append(range(start, len(sizes)))
    return batches
