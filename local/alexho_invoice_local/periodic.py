"""A task the stack's processes run every so many seconds, in a thread of its own."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

LOGGER = logging.getLogger(__name__)


class Periodic:
    """Calls ``action`` every ``interval`` seconds in a daemon thread named ``name``, from
    :meth:`start` until :meth:`stop`; a call that raises is logged, and the next one comes."""

    def __init__(self, interval: float, action: Callable[[], object], name: str) -> None:
        self._interval = interval
        self._action = action
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        """Call ``action`` every ``interval`` seconds from now on."""
        self._thread.start()

    def stop(self) -> None:
        """Stop (waits for a call in progress)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                self._action()
            except Exception:
                LOGGER.exception("%s failed", self._thread.name)
