"""WebSocket clients that stay connected across the tests of a module, on an event loop of their
own (tests are synchronous), and a client that stops reading."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.protocol import State
from websockets.typing import Subprotocol

from alexho_invoice_local.cli.client import InvoiceStreamClient
from alexho_invoice_runtime.definitions import SUBPROTOCOL

T = TypeVar("T")
#: The stalled client's receive buffer: small, so the gateway's backlog for it grows quickly.
STALLED_RECEIVE_BUFFER_BYTES = 4096


class ClientFleet:
    """Named clients of one stack; :meth:`close` disconnects them all."""

    def __init__(self, websocket_url: str) -> None:
        self._url = websocket_url
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.clients: dict[str, InvoiceStreamClient] = {}
        self._stalled: list[ClientConnection] = []

    def _call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def connect(self, name: str, token: str) -> InvoiceStreamClient:
        """Connect a client that records every frame."""
        client = InvoiceStreamClient(self._url, token)
        self.clients[name] = self._call(client.__aenter__())
        return client

    def connect_stalled(self, token: str) -> ClientConnection:
        """Connect a client that reads nothing after its handshake (a slow consumer)."""
        address = urlsplit(self._url)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, STALLED_RECEIVE_BUFFER_BYTES)
        sock.connect((address.hostname, address.port))

        async def open_stalled() -> ClientConnection:
            return await connect(
                self._url,
                sock=sock,
                subprotocols=[Subprotocol(SUBPROTOCOL), Subprotocol(token)],
                max_queue=1,
                max_size=None,
                ping_interval=None,
            )

        stalled = self._call(open_stalled())
        self._stalled.append(stalled)
        return stalled

    def event_ids(self, name: str) -> list[str]:
        """Ids of the events ``name`` received, in arrival order."""
        return [str(event["id"]) for event in self.clients[name].events]

    def arrival(self, name: str, event_id: str) -> float | None:
        """When ``name`` first received ``event_id`` (``time.monotonic()``), if it did."""
        for frame in list(self.clients[name].frames):
            if frame.event is not None and frame.event.get("id") == event_id:
                return frame.received_monotonic
        return None

    def is_open(self, name: str) -> bool:
        """Whether ``name``'s connection is still open."""
        return self.clients[name].websocket.state is State.OPEN

    def close(self) -> None:
        """Disconnect every client and stop the loop."""

        async def close_all() -> None:
            for client in self.clients.values():
                await client.close()
            for stalled in self._stalled:
                stalled.transport.abort()

        self._call(close_all())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
