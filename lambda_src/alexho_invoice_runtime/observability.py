"""Structured JSON logs with a correlation id, CloudWatch Embedded Metric Format metrics, and
:func:`lambda_invocation`, the per-invocation decorator every handler wears.

Standard library only: a few microseconds at import, where Powertools would add tens of
milliseconds to every cold start. :func:`lambda_invocation` does what Powertools'
``inject_lambda_context`` and ``log_metrics`` do together: one metrics object per invocation,
flushed in ``finally``; the correlation id set at the start and cleared at the end; and
``cold_start`` (true on a container's first invocation) with ``function_request_id`` on every
log line of the invocation. Log records never carry tokens or event payloads: callers pass only
the fields they mean to log.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from functools import wraps
from typing import Any, Final, TypeVar

from alexho_invoice_runtime.definitions import Env

SERVICE_DEFAULT: Final = "alexho-invoice-realtime"
NAMESPACE_DEFAULT: Final = "AlexHoInvoiceRealtime"

_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
#: ``cold_start`` and ``function_request_id`` of the running invocation (empty outside one).
_invocation: ContextVar[Mapping[str, object] | None] = ContextVar("invocation", default=None)
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
        entry.update(_invocation.get() or {})
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


R = TypeVar("R")
#: A handler ``(event, context, metrics)`` that also takes its invocation's :class:`Metrics`.
MeteredHandler = Callable[[Any, Any, Metrics], R]
#: A Lambda entry point ``(event, context)``.
EntryPoint = Callable[[Any, Any], R]

_cold_start = True


def request_correlation_id(event: Mapping[str, Any]) -> str | None:
    """An API Gateway event's ``requestContext.requestId``, else its ``connectionId``."""
    context = event.get("requestContext")
    if not isinstance(context, Mapping):
        return None
    for name in ("requestId", "connectionId"):
        value = context.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def lambda_invocation(
    correlation_id: Callable[[Mapping[str, Any]], str | None] = request_correlation_id,
) -> Callable[[MeteredHandler[R]], EntryPoint[R]]:
    """Wrap ``handler(event, context, metrics)`` as a Lambda entry point ``(event, context)``.

    Per invocation: a new :class:`Metrics`, flushed in ``finally`` (raised or not); the
    correlation id from ``correlation_id(event)`` set first and cleared last; ``cold_start`` and
    the Lambda request id (``context.aws_request_id``) on every log line.
    """

    def decorate(handler: MeteredHandler[R]) -> EntryPoint[R]:
        @wraps(handler)
        def invoke(event: Mapping[str, Any], context: Any) -> R:
            global _cold_start
            cold_start, _cold_start = _cold_start, False
            fields: dict[str, object] = {"cold_start": cold_start}
            request_id = getattr(context, "aws_request_id", None)
            if isinstance(request_id, str):
                fields["function_request_id"] = request_id
            invocation = _invocation.set(fields)
            set_correlation_id(correlation_id(event))
            metrics = Metrics()
            try:
                return handler(event, context, metrics)
            finally:
                metrics.flush()
                set_correlation_id(None)
                _invocation.reset(invocation)

        return invoke

    return decorate
