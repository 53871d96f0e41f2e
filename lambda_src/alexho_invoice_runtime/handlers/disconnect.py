"""``$disconnect``: deletes the connection row. Idempotent: a row already gone is fine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alexho_invoice_runtime import aws_clients
from alexho_invoice_runtime.connections import ConnectionStore
from alexho_invoice_runtime.handlers.websocket_event import begin_invocation
from alexho_invoice_runtime.observability import get_logger

logger = get_logger(__name__)


def handler(event: Mapping[str, Any], context: object) -> dict[str, Any]:
    """Lambda entry point (``$disconnect`` route integration)."""
    request = begin_invocation(event)
    existed = ConnectionStore(aws_clients.connections_table()).delete(request.connection_id)
    logger.info("disconnected", extra={"connectionId": request.connection_id, "hadRow": existed})
    return {"statusCode": 200}
