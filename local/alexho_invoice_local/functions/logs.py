"""Where the handlers' output goes. They write JSON log lines and EMF metrics to stdout, as on
Lambda (where CloudWatch collects them); the CLI can send them to a file instead, so that the
output of ``demo`` stays readable."""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
from collections.abc import Iterator
from typing import IO, Any

#: The runtime's log handlers hang on this logger (see ``alexho_invoice_runtime.observability``).
RUNTIME_LOGGER = "alexho_invoice_runtime"


class _ThreadRoutedStream:
    """A stdout stand-in: the owner thread writes to ``console``, every other thread (handler
    invocations and their worker pools) to ``sink``."""

    def __init__(self, console: IO[str], sink: IO[str]) -> None:
        self._console = console
        self._sink = sink
        self._owner = threading.get_ident()

    def write(self, text: str) -> int:
        target = self._console if threading.get_ident() == self._owner else self._sink
        return target.write(text)

    def flush(self) -> None:
        self._console.flush()
        self._sink.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._console, name)


@contextlib.contextmanager
def lambda_output_to(sink: IO[str]) -> Iterator[None]:
    """While the block runs, stdout written by other threads than this one goes to ``sink``
    (including log handlers of the runtime that were created before the block)."""
    original = sys.stdout
    routed = _ThreadRoutedStream(original, sink)
    sys.stdout = routed
    swapped = [
        handler
        for handler in logging.getLogger(RUNTIME_LOGGER).handlers
        if isinstance(handler, logging.StreamHandler) and handler.stream is original
    ]
    for handler in swapped:
        handler.setStream(routed)
    try:
        yield
    finally:
        for handler in swapped:
            handler.setStream(original)
        sys.stdout = original
