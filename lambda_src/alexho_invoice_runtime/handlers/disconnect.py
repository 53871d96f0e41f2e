"""``$disconnect``: deletes the connection row. Idempotent: a row already gone is fine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alexho_invoice_runtime.aws import clients
from alexho_invoice_runtime.connections import ConnectionStore
from alexho_invoice_runtime.handlers.websocket_event import WebSocketRequest
from alexho_invoice_runtime.observability import Metrics, get_logger, lambda_invocation

logger = get_logger(__name__)


@lambda_invocation()
def handler(event: Mapping[str, Any], context: object, metrics: Metrics) -> dict[str, Any]:
    """Lambda entry point (``$disconnect`` route integration)."""
    request = WebSocketRequest.from_event(event)
    existed = ConnectionStore(clients.connections_table()).delete(request.connection_id)
    logger.info("disconnected", extra={"connectionId": request.connection_id, "hadRow": existed})
    return {"statusCode": 200}
