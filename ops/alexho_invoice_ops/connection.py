"""The check's own WebSocket connection: the token offered as a subprotocol, as browsers do,
and every frame read into a queue so a check can wait for the one it expects."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from alexho_invoice_runtime.definitions import SUBPROTOCOL


@dataclass(frozen=True)
class Frame:
    """A frame from the server and when it arrived (``time.perf_counter()``)."""

    body: dict[str, Any]
    received: float


class CheckConnection:
    """An open connection; use :meth:`open` and :meth:`close`."""

    def __init__(self, websocket: ClientConnection) -> None:
        self._websocket = websocket
        self._frames: asyncio.Queue[Frame | None] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())
        #: Frames that arrived while waiting for another one (never expected: nobody else's).
        self.other_frames: list[dict[str, Any]] = []

    @classmethod
    async def open(cls, url: str, token: str, timeout: float) -> CheckConnection:
        """Connect; the errors of ``websockets.connect`` propagate (the caller words them)."""
        websocket = await connect(
            url,
            subprotocols=[Subprotocol(SUBPROTOCOL), Subprotocol(token)],
            open_timeout=timeout,
            ping_interval=None,
            compression=None,
        )
        return cls(websocket)

    @property
    def subprotocol(self) -> str | None:
        """The subprotocol the server echoed."""
        return self._websocket.subprotocol

    async def send(self, message: dict[str, Any]) -> float:
        """Send a JSON message; returns when it was sent (``time.perf_counter()``)."""
        await self._websocket.send(json.dumps(message))
        return time.perf_counter()

    async def wait_for(self, wanted: Callable[[dict[str, Any]], bool], timeout: float) -> Frame:
        """The next frame ``wanted`` accepts; others go to :attr:`other_frames`. Raises
        ``TimeoutError``, or ``ConnectionError`` when the server closed the connection."""
        async with asyncio.timeout(timeout):
            while True:
                frame = await self._frames.get()
                if frame is None:
                    self._frames.put_nowait(None)
                    raise ConnectionError(
                        f"the server closed the connection ({self._websocket.close_code})"
                    )
                if wanted(frame.body):
                    return frame
                self.other_frames.append(frame.body)

    async def close(self) -> None:
        """Close with code 1000 and stop reading."""
        await self._websocket.close()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    async def _read(self) -> None:
        try:
            async for message in self._websocket:
                received = time.perf_counter()
                try:
                    body = json.loads(message)
                except ValueError:
                    body = None
                if not isinstance(body, dict):
                    body = {"type": "unparsed"}
                self._frames.put_nowait(Frame(body, received))
        except ConnectionClosed:
            pass
        finally:
            self._frames.put_nowait(None)
