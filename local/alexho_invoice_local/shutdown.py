"""Waiting for Ctrl-C or SIGTERM, so the stack can shut down cleanly."""

from __future__ import annotations

import signal
import threading
from types import FrameType


def wait_for_termination() -> int:
    """Block until SIGINT or SIGTERM arrives; returns the signal number."""
    received: list[int] = []
    stop = threading.Event()

    def on_signal(number: int, _frame: FrameType | None) -> None:
        received.append(number)
        stop.set()

    previous = {
        number: signal.signal(number, on_signal) for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return received[0]
