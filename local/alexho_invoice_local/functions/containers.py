"""Concurrent invocations of one function in separate processes, like Lambda's containers.

On AWS, each concurrent invocation runs in a container of its own that serves one invocation at
a time; a warm container keeps its module state, and a container whose runtime exits or runs past
the function's timeout is thrown away and replaced by a fresh one (a cold start) at the next
invocation. Here each container is a spawned process with a pipe of its own: it imports the
handler once, gets the function's environment, and answers each invocation with the handler's
JSON result or Lambda's error fields. A container that exits mid-invocation
(``Runtime.ExitError``) or does not answer within the function's timeout (``Sandbox.Timedout``,
the process is killed) fails that invocation only; the next one gets a new container. Processes
also let the fan-out use every core instead of sharing one interpreter lock with the gateway.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Final

from alexho_invoice_local.functions.invocation import InvocationError, LambdaFunction
from alexho_invoice_local.process_tuning import FullCollections, tune_for_latency

#: How long a container may take to start and import its handler.
START_TIMEOUT_SECONDS: Final = 60.0
#: How long a container gets to exit by itself when the stack stops.
STOP_TIMEOUT_SECONDS: Final = 5.0

#: What a container answers: ``("ok", json text)`` or ``("error", (type, message, trace))``.
_Answer = tuple[str, Any]


class ContainersClosedError(RuntimeError):
    """An invocation after :meth:`ProcessContainers.close`."""


@dataclass
class ContainerStats:
    """What the containers did (read them for tests and benchmarks)."""

    started: int = 0
    #: Containers thrown away because their runtime exited or an invocation timed out.
    lost: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        """Increase counters by name."""
        with self._lock:
            for name, count in counts.items():
                setattr(self, name, getattr(self, name) + count)


class _ContainerLostError(Exception):
    """The container cannot serve again; ``error`` is what the invocation reports."""

    def __init__(self, error: InvocationError) -> None:
        super().__init__(error.message)
        self.error = error


class _Container:
    """One process serving one invocation at a time over its pipe."""

    def __init__(
        self,
        function: LambdaFunction,
        environment: dict[str, str],
        log_path: str | None,
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child_end = context.Pipe()
        self.process = context.Process(
            target=_serve,
            args=(child_end, function, environment, log_path),
            name=f"{function.name}-container",
            daemon=True,
        )
        self.process.start()
        child_end.close()

    def wait_ready(self) -> None:
        """Wait until the handler is imported; raises :class:`_ContainerLostError` if not."""
        status, value = self._answer(START_TIMEOUT_SECONDS, "-")
        if status == "error":
            self.stop()
            raise _ContainerLostError(InvocationError(*value))

    def run(self, event: dict[str, Any], request_id: str, timeout: float) -> _Answer:
        """Send one invocation and wait for its answer."""
        try:
            self._pipe.send((event, request_id))
        except (BrokenPipeError, EOFError, OSError):
            raise self._lost(request_id) from None
        return self._answer(timeout, request_id)

    def _answer(self, timeout: float, request_id: str) -> _Answer:
        if not self._pipe.poll(timeout):
            self.stop(kill=True)
            raise _ContainerLostError(
                InvocationError(
                    "Sandbox.Timedout",
                    f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds",
                    [],
                )
            )
        try:
            answer: _Answer = self._pipe.recv()
        except (EOFError, OSError):
            raise self._lost(request_id) from None
        return answer

    def _lost(self, request_id: str) -> _ContainerLostError:
        self.process.join(STOP_TIMEOUT_SECONDS)
        self.stop(kill=True)
        code = self.process.exitcode
        if code is not None and code < 0:
            how = f"signal: {signal.Signals(-code).name}"
        else:
            how = f"exit status {code}"
        return _ContainerLostError(
            InvocationError(
                "Runtime.ExitError",
                f"RequestId: {request_id} Error: Runtime exited with error: {how}",
                [],
            )
        )

    def stop(self, *, kill: bool = False) -> None:
        """Ask the process to exit (or kill it), then reap it."""
        if not kill and self.process.is_alive():
            try:
                self._pipe.send(None)
            except OSError:
                pass
            else:
                self.process.join(STOP_TIMEOUT_SECONDS)
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self._pipe.close()


class ProcessContainers:
    """At most ``size`` containers of ``function``; :meth:`invoke` blocks until one answered."""

    def __init__(
        self,
        function: LambdaFunction,
        environment: Mapping[str, str],
        size: int,
        log_path: str | None = None,
    ) -> None:
        self.function = function
        self.size = size
        self.stats = ContainerStats()
        self._environment = dict(environment)
        self._log_path = log_path
        self._available = threading.Condition()
        self._idle: list[_Container] = []
        self._live = 0
        self._closed = False

    def warm(self, size: int) -> None:
        """Start ``size`` containers at once and import the handler in each (no cold start
        later); raises :class:`InvocationError` if a handler cannot be imported."""
        with self._available:
            count = max(0, min(size, self.size - self._live))
            self._live += count
        containers = [self._start() for _ in range(count)]
        ready, failures = [], []
        for container in containers:
            try:
                container.wait_ready()
            except _ContainerLostError as lost:
                failures.append(lost.error)
            else:
                ready.append(container)
        with self._available:
            self._live -= len(failures)
            self._idle.extend(ready)
            self._available.notify_all()
        if failures:
            raise failures[0]

    def invoke(self, event: dict[str, Any], request_id: str) -> Any:
        """Run one invocation in a free container (starting one if none is free and fewer than
        ``size`` run); raises :class:`InvocationError` when the invocation fails."""
        container = self._acquire()
        try:
            status, value = container.run(event, request_id, self.function.timeout_seconds)
        except _ContainerLostError as lost:
            self._discard()
            raise lost.error from None
        except BaseException:
            container.stop(kill=True)
            self._discard()
            raise
        self._release(container)
        if status == "error":
            raise InvocationError(*value)
        return json.loads(value)

    def close(self) -> None:
        """Stop the idle containers now and the busy ones when their invocation ends."""
        with self._available:
            self._closed = True
            idle, self._idle = self._idle, []
            self._available.notify_all()
        for container in idle:
            container.stop()

    def _start(self) -> _Container:
        self.stats.add(started=1)
        return _Container(self.function, self._environment, self._log_path)

    def _acquire(self) -> _Container:
        with self._available:
            while True:
                if self._closed:
                    raise ContainersClosedError(f"the containers of {self.function.name} stopped")
                if self._idle:
                    return self._idle.pop()
                if self._live < self.size:
                    self._live += 1
                    break
                self._available.wait()
        # A cold start, outside the lock: the other containers keep serving meanwhile.
        try:
            container = self._start()
            container.wait_ready()
        except _ContainerLostError as lost:
            self._discard(lost=False)
            raise lost.error from None
        except BaseException:
            self._discard(lost=False)
            raise
        return container

    def _release(self, container: _Container) -> None:
        with self._available:
            if not self._closed:
                self._idle.append(container)
                self._available.notify()
                return
        container.stop()

    def _discard(self, *, lost: bool = True) -> None:
        if lost:
            self.stats.add(lost=1)
        with self._available:
            self._live -= 1
            self._available.notify()


def _serve(
    pipe: Connection, function: LambdaFunction, environment: dict[str, str], log_path: str | None
) -> None:
    """The container process: start up, then answer invocations until told to stop."""
    # Signals for the whole process group (Ctrl-C, `kill -TERM -<pgid>`) are the stack's to
    # handle: it stops its containers in order. A container whose stack died sees its pipe close.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    tune_for_latency()
    os.environ.update(environment)
    if log_path is not None:
        sys.stdout = open(log_path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
    try:
        function.handler()
    except Exception as error:
        pipe.send(("error", _error_fields(error)))
        return
    # What the handler loaded is frozen; what invocations leave in cycles is collected.
    FullCollections().start()
    pipe.send(("ready", None))
    while True:
        try:
            request = pipe.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        event, request_id = request
        pipe.send(_run(function, event, request_id))


def _run(function: LambdaFunction, event: dict[str, Any], request_id: str) -> _Answer:
    try:
        result = function.invoke(event, request_id)
    except Exception as error:
        return "error", _error_fields(error)
    try:
        # Lambda returns the result as JSON: what JSON cannot hold fails the invocation.
        return "ok", json.dumps(result)
    except (TypeError, ValueError) as error:
        return "error", ("Runtime.MarshalError", f"Unable to marshal response: {error}", [])


def _error_fields(error: BaseException) -> tuple[str, str, list[str]]:
    reported = InvocationError.from_exception(error)
    return reported.error_type, reported.message, reported.stack_trace
