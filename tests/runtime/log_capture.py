"""Capture what the runtime's loggers write, formatted exactly as in Lambda (JSON lines)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from alexho_invoice_runtime.observability import JsonFormatter, get_logger


@contextmanager
def captured_logs() -> Iterator[io.StringIO]:
    """The JSON log lines of ``alexho_invoice_runtime`` loggers while the block runs."""
    get_logger(
        __name__
    )  # configures the alexho_invoice_runtime logger (its level) if nothing has yet
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("test"))
    root = logging.getLogger("alexho_invoice_runtime")
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
