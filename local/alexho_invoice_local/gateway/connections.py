"""Open WebSocket connections, by connection id, as the gateway and the Management API see them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from websockets.asyncio.server import ServerConnection

from alexho_invoice_local.gateway.apigw_events import ClientConnection


@dataclass
class LiveConnection:
    """One open connection: what API Gateway knows of it and the socket it runs on."""

    client: ClientConnection
    websocket: ServerConnection
    opened_monotonic: float = field(default_factory=time.monotonic)
    last_active_monotonic: float = field(default_factory=time.monotonic)
    last_active_at_ms: int = field(default_factory=lambda: int(time.time() * 1000))
    #: Close code and ``$disconnect`` reason when the gateway itself closes the connection.
    close_cause: tuple[int, str] | None = None
    #: Simulates a lost ``$disconnect`` (API Gateway only tries its best to deliver it).
    skip_disconnect: bool = False

    @property
    def connection_id(self) -> str:
        """The API Gateway connection id."""
        return self.client.connection_id

    def touch(self) -> None:
        """Record client activity (it resets the idle timeout)."""
        self.last_active_monotonic = time.monotonic()
        self.last_active_at_ms = int(time.time() * 1000)


class ConnectionRegistry:
    """Connection id → :class:`LiveConnection`; used only from the gateway's event loop."""

    def __init__(self) -> None:
        self._connections: dict[str, LiveConnection] = {}

    def add(self, connection: LiveConnection) -> None:
        """Register an open connection."""
        self._connections[connection.connection_id] = connection

    def remove(self, connection_id: str) -> None:
        """Forget a connection (no error when it is already gone)."""
        self._connections.pop(connection_id, None)

    def get(self, connection_id: str) -> LiveConnection | None:
        """The open connection with that id, if any."""
        return self._connections.get(connection_id)

    def all(self) -> list[LiveConnection]:
        """A snapshot of every open connection."""
        return list(self._connections.values())

    def __len__(self) -> int:
        return len(self._connections)
