"""A client of the invoice stream, as a browser or portal uses it (token in the subprotocol)."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from alexho_invoice_runtime.definitions import SUBPROTOCOL


@dataclass(frozen=True)
class ReceivedFrame:
    """One frame from the server and when it arrived (``time.monotonic()``)."""

    frame: dict[str, Any]
    received_monotonic: float

    @property
    def event(self) -> dict[str, Any] | None:
        """The envelope of an event frame, else ``None``."""
        if self.frame.get("type") != "event":
            return None
        event = self.frame.get("event")
        return event if isinstance(event, dict) else None


class StreamClosedError(ConnectionError):
    """The server closed the connection (or it dropped); ``code`` is the close code."""

    def __init__(self, code: int | None, reason: str) -> None:
        self.code = code
        self.reason = reason
        super().__init__(f"connection closed ({code} {reason})".strip())


class InvoiceStreamClient:
    """Connects with a token offered as ``alexho-invoice.v1, <token>`` and records every frame.

    Use as ``async with InvoiceStreamClient(url, token) as client:``.
    """

    def __init__(self, websocket_url: str, token: str, *, open_timeout: float = 10.0) -> None:
        self._url = websocket_url
        self._token = token
        self._open_timeout = open_timeout
        self._websocket: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._queue: asyncio.Queue[ReceivedFrame | None] = asyncio.Queue()
        self.frames: list[ReceivedFrame] = []

    async def __aenter__(self) -> InvoiceStreamClient:
        self._websocket = await connect(
            self._url,
            subprotocols=[Subprotocol(SUBPROTOCOL), Subprotocol(self._token)],
            open_timeout=self._open_timeout,
            compression=None,
            ping_interval=None,
            max_size=None,
        )
        self._reader = asyncio.create_task(self._read(self._websocket))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def websocket(self) -> ClientConnection:
        """The underlying connection."""
        if self._websocket is None:
            raise RuntimeError("not connected")
        return self._websocket

    @property
    def events(self) -> list[dict[str, Any]]:
        """Envelopes of the event frames received so far, in arrival order."""
        return [frame.event for frame in self.frames if frame.event is not None]

    async def send(self, message: dict[str, Any]) -> None:
        """Send a JSON message (``{"action": ...}``); :class:`StreamClosedError` once closed."""
        try:
            await self.websocket.send(json.dumps(message))
        except ConnectionClosed as closed:
            code, reason = (closed.rcvd.code, closed.rcvd.reason) if closed.rcvd else (None, "")
            raise StreamClosedError(code, reason) from None

    async def next_frame(self, timeout: float) -> ReceivedFrame:
        """The next frame not yet taken; raises ``TimeoutError`` when none comes in time and
        :class:`StreamClosedError` once the connection is closed and every frame was taken."""
        async with asyncio.timeout(timeout):
            received = await self._queue.get()
        if received is None:
            self._queue.put_nowait(None)
            websocket = self.websocket
            raise StreamClosedError(websocket.close_code, websocket.close_reason or "")
        return received

    async def wait_for_events(self, count: int, timeout: float) -> list[dict[str, Any]]:
        """Wait until at least ``count`` events arrived (or ``timeout``); returns all events."""
        deadline = time.monotonic() + timeout
        while len(self.events) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        return self.events

    async def close(self) -> None:
        """Close the connection (code 1000) and stop reading. A cancellation of the caller
        meanwhile is the caller's: it propagates (and stops the reading too)."""
        if self._websocket is not None:
            await self._websocket.close()
        if self._reader is not None and not self._reader.cancelled():
            await self._reader

    async def _read(self, websocket: ClientConnection) -> None:
        try:
            async for message in websocket:
                try:
                    frame = json.loads(message)
                except ValueError:
                    frame = {"type": "unparsed", "text": str(message)[:200]}
                if not isinstance(frame, dict):
                    frame = {"type": "unparsed", "text": str(message)[:200]}
                received = ReceivedFrame(frame, time.monotonic())
                self.frames.append(received)
                self._queue.put_nowait(received)
        except ConnectionClosed:
            pass
        finally:
            self._queue.put_nowait(None)
