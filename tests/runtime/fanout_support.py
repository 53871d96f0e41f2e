"""Helpers of the fan-out tests: connection rows, invoice events, SNS invocations, and a
recorder of the DynamoDB operations the handler makes."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from alexho_invoice_runtime.auth.identity import Identity
from alexho_invoice_runtime.aws.dynamodb import DynamoDb
from alexho_invoice_runtime.connections import Connection, expires_at
from alexho_invoice_runtime.contract import InvoiceEvent, build_event, encode_event
from alexho_invoice_runtime.definitions import ADMIN, CUSTOMER
from alexho_invoice_runtime.handlers import send_invoice_update
from tests.runtime.events import new_connection_id, sns_event


def admin(sub: str = "admin-1") -> Identity:
    """An admin identity."""
    return Identity.create(sub, ADMIN, None)


def customer(customer_id: str, sub: str = "portal-user") -> Identity:
    """A customer identity of ``customer_id``."""
    return Identity.create(sub, CUSTOMER, customer_id)


def add_connections(
    table: Any,
    identities: Iterable[Identity],
    *,
    token_issued_at: int | None = None,
    token_expires_at: int | None = None,
) -> list[str]:
    """Store one connection row per identity (as ``$connect`` would); returns their ids.
    Tokens were issued now and expire in 10 minutes unless the times are given."""
    connected_at_ms = int(time.time() * 1000)
    issued_at = connected_at_ms // 1000 if token_issued_at is None else token_issued_at
    token_exp = issued_at + 600 if token_expires_at is None else token_expires_at
    ids = []
    with table.batch_writer() as batch:
        for identity in identities:
            connection = Connection(
                connection_id=new_connection_id(),
                identity=identity,
                connected_at_ms=connected_at_ms,
                expires_at=expires_at(connected_at_ms),
                token_expires_at=token_exp,
                token_issued_at=issued_at,
            )
            batch.put_item(Item=connection.to_item())
            ids.append(connection.connection_id)
    return ids


def invoice_event(
    customer_id: str = "cust-42",
    status: str = "SENT",
    event_type: str = "INVOICE_SENT",
    invoice_id: str = "inv-123",
    **fields: Any,
) -> InvoiceEvent:
    """A valid envelope built with the contract's own builder."""
    return build_event(
        event_type,
        invoice_id,
        customer_id,
        {"status": status, "version": 1, **fields},
        source="invoice-service",
    )


def invoke(*messages: InvoiceEvent | str) -> dict[str, int]:
    """Run the real handler on an SNS event with one record per message."""
    bodies = [m if isinstance(m, str) else encode_event(m) for m in messages]
    return send_invoice_update.handler(sns_event(bodies), None)


@contextmanager
def recorded_dynamodb_operations() -> Iterator[list[str]]:
    """Names of the requests the handler makes to DynamoDB, in order (a wrapper of the AWS
    layer's ``DynamoDb.call``, which only watches: the requests still go to moto)."""
    names: list[str] = []
    layer_call = DynamoDb.call

    def record_layer(self: DynamoDb, operation: str, params: Any) -> dict[str, Any]:
        names.append(operation)
        return layer_call(self, operation, params)

    DynamoDb.call = record_layer  # type: ignore[method-assign]
    try:
        yield names
    finally:
        DynamoDb.call = layer_call  # type: ignore[method-assign]
