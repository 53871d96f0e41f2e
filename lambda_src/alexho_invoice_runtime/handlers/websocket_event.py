"""What the WebSocket handlers read from an API Gateway event's ``requestContext``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class WebSocketRequest:
    """The parts of ``requestContext`` the handlers use."""

    connection_id: str
    request_id: str | None
    connected_at_ms: int | None
    authorizer: Any

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> WebSocketRequest:
        """Read ``event["requestContext"]``; raises ``ValueError`` without a connection id."""
        context = event.get("requestContext")
        if not isinstance(context, Mapping):
            raise ValueError("event has no requestContext")
        connection_id = context.get("connectionId")
        if not isinstance(connection_id, str) or not connection_id:
            raise ValueError("event has no requestContext.connectionId")
        request_id = context.get("requestId")
        connected_at = context.get("connectedAt")
        return cls(
            connection_id=connection_id,
            request_id=request_id if isinstance(request_id, str) else None,
            connected_at_ms=connected_at if isinstance(connected_at, int) else None,
            authorizer=context.get("authorizer"),
        )
