"""Stopping a stack: ``up`` waits for Ctrl-C or SIGTERM and shuts down cleanly; ``down`` sends
that SIGTERM to the process in the state file and waits until it has stopped."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from types import FrameType

from alexho_invoice_local.endpoints import StackEndpoints, is_recorded, process_alive


class StopTimeoutError(RuntimeError):
    """The stack did not stop in time."""


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


def stop_running_stack(endpoints: StackEndpoints, state_file: Path, timeout: float) -> None:
    """Send SIGTERM to the ``up`` process of ``endpoints`` and wait until it has stopped: it
    closes every connection (``$disconnect``), stops moto and its containers, then removes the
    state file. Raises :class:`StopTimeoutError` after ``timeout`` seconds, and ``ValueError``
    for a stack that runs in this very process (stop it with ``LocalStack.stop()``)."""
    if endpoints.pid == os.getpid():
        raise ValueError(f"the stack in {state_file} runs in this process; call its stop()")
    try:
        os.kill(endpoints.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    # The state file goes once the stack has stopped; a dead process counts too (killed hard).
    while is_recorded(endpoints, state_file) and process_alive(endpoints.pid):
        if time.monotonic() >= deadline:
            raise StopTimeoutError(
                f"the local stack (pid {endpoints.pid}) is still stopping after {timeout:g} s"
            )
        time.sleep(0.1)
