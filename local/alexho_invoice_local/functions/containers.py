"""Concurrent invocations of one function in separate processes, like Lambda's containers.

On AWS, each concurrent invocation runs in a container of its own that serves one invocation at
a time; a warm container keeps its module state. Here a pool of spawned processes plays those
containers: each imports the handler once, gets the function's environment, and returns either
the handler's result or an :class:`~alexho_invoice_local.functions.invocation.InvocationError`.
Processes also let the fan-out use every core instead of sharing one interpreter lock with the
gateway.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from alexho_invoice_local.functions.invocation import InvocationError, LambdaFunction
from alexho_invoice_local.process_tuning import tune_for_latency

_WARM_HOLD_SECONDS = 0.3


class ProcessContainers:
    """``size`` warm containers of ``function``; :meth:`invoke` blocks until one answered."""

    def __init__(
        self,
        function: LambdaFunction,
        environment: Mapping[str, str],
        size: int,
        log_path: str | None = None,
    ) -> None:
        self.function = function
        self.size = size
        self._pool = ProcessPoolExecutor(
            max_workers=size,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_container,
            initargs=(dict(environment), log_path),
        )

    def warm(self, size: int) -> None:
        """Start ``size`` containers and import the handler in each (no cold start later)."""
        futures = [self._pool.submit(_warm, self.function) for _ in range(size)]
        for future in futures:
            future.result()

    def invoke(self, event: dict[str, Any], request_id: str) -> Any:
        """Run one invocation in a free container; raises :class:`InvocationError` on failure."""
        outcome, value = self._pool.submit(_invoke, self.function, event, request_id).result()
        if outcome == "error":
            raise value
        return value

    def close(self) -> None:
        """Let running invocations finish, then stop the containers."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def _start_container(environment: dict[str, str], log_path: str | None) -> None:
    """Container start: the function's environment, its stdout (CloudWatch stand-in)."""
    # Ctrl-C reaches the whole process group: the stack stops its containers in order.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    tune_for_latency()
    os.environ.update(environment)
    if log_path is not None:
        sys.stdout = open(log_path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115


def _warm(function: LambdaFunction) -> None:
    function.handler()
    # Busy for a moment, so that the pool starts another container for the next warm-up.
    time.sleep(_WARM_HOLD_SECONDS)


def _invoke(function: LambdaFunction, event: dict[str, Any], request_id: str) -> tuple[str, Any]:
    try:
        return "ok", function.invoke(event, request_id)
    except Exception as error:
        return "error", InvocationError.from_exception(error)
