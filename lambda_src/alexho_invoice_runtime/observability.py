"""Structured JSON logs with a correlation id, and CloudWatch Embedded Metric Format metrics.

Standard library only: a few microseconds at import, where Powertools would add tens of
milliseconds to every cold start. Log records never carry tokens or event payloads: callers pass
only the fields they mean to log.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from contextvars import ContextVar
from typing import Any, Final

from alexho_invoice_runtime.definitions import Env

SERVICE_DEFAULT: Final = "alexho-invoice-realtime"
NAMESPACE_DEFAULT: Final = "AlexHoInvoiceRealtime"

_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
_RESERVED = frozenset(vars(logging.makeLogRecord({})))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: level, message, logger, service, correlation id and extras."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "service": self._service,
            "timestamp": round(record.created * 1000),
        }
        correlation_id = _correlation_id.get()
        if correlation_id:
            entry["correlation_id"] = correlation_id
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            # The exception type and message only: a traceback's locals never reach the log.
            entry["exception"] = f"{record.exc_info[0].__name__}: {record.exc_info[1]}"
        return json.dumps(entry, default=str, separators=(",", ":"))


def get_logger(name: str) -> logging.Logger:
    """A logger writing JSON lines to stdout, configured once per process."""
    root = logging.getLogger("alexho_invoice_runtime")
    if not getattr(root, "_alexho_configured", False):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(
            JsonFormatter(os.environ.get(Env.POWERTOOLS_SERVICE_NAME, SERVICE_DEFAULT))
        )
        root.addHandler(handler)
        root.setLevel(os.environ.get(Env.LOG_LEVEL, "INFO").upper())
        root.propagate = False
        root._alexho_configured = True  # type: ignore[attr-defined]
    return logging.getLogger(
        name if name.startswith("alexho_invoice_runtime") else f"alexho_invoice_runtime.{name}"
    )


def set_correlation_id(correlation_id: str | None) -> None:
    """Tag every following log line of this invocation (e.g. with the request or message id)."""
    _correlation_id.set(correlation_id)


class Metrics:
    """Collects counters for one invocation and prints them as one EMF JSON line on flush."""

    def __init__(self, namespace: str | None = None, service: str | None = None) -> None:
        self._namespace = namespace or os.environ.get(Env.METRICS_NAMESPACE, NAMESPACE_DEFAULT)
        self._service = service or os.environ.get(Env.POWERTOOLS_SERVICE_NAME, SERVICE_DEFAULT)
        self._values: dict[str, float] = {}
        self._units: dict[str, str] = {}

    def add(self, name: str, value: float, unit: str = "Count") -> None:
        """Add ``value`` to the metric ``name`` (counters accumulate within one flush)."""
        self._values[name] = self._values.get(name, 0.0) + value
        self._units[name] = unit

    @property
    def values(self) -> dict[str, float]:
        """The metrics collected since the last flush."""
        return dict(self._values)

    def flush(self) -> None:
        """Print the collected metrics in Embedded Metric Format and start afresh."""
        if not self._values:
            return
        document = {
            "_aws": {
                "Timestamp": int(time.time() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": self._namespace,
                        "Dimensions": [["service"]],
                        "Metrics": [{"Name": n, "Unit": u} for n, u in self._units.items()],
                    }
                ],
            },
            "service": self._service,
            **self._values,
        }
        sys.stdout.write(json.dumps(document, separators=(",", ":")) + "\n")
        self._values.clear()
        self._units.clear()
