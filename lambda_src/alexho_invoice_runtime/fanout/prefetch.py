"""Read an iterator ahead in a background thread, through a bounded queue."""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from typing import Final, TypeVar, cast

T = TypeVar("T")

#: How often a blocked producer checks whether the consumer has gone away.
_POLL_SECONDS: Final = 0.05


@dataclass(frozen=True)
class _Failed:
    error: BaseException


_END: Final = object()


def prefetched(source: Iterable[T], depth: int, name: str = "prefetch") -> Generator[T, None, None]:
    """Yield the items of ``source``, produced by a background thread up to ``depth`` ahead.

    The consumer works on one item while the producer fetches the next ones (e.g. the next
    ``Query`` page while the current page is being posted). An exception raised by ``source``
    is raised to the consumer after the items produced before it. Closing the returned
    generator early stops the producer.
    """
    if depth < 1:
        raise ValueError("depth must be positive")
    buffer: queue.Queue[object] = queue.Queue(maxsize=depth)
    stopped = threading.Event()

    def offer(item: object) -> bool:
        while not stopped.is_set():
            try:
                buffer.put(item, timeout=_POLL_SECONDS)
            except queue.Full:
                continue
            return True
        return False

    def produce() -> None:
        try:
            for item in source:
                if not offer(item):
                    return
        except BaseException as error:  # handed over to the consumer, which raises it
            offer(_Failed(error))
            return
        offer(_END)

    # The invocation's context (correlation id, request id) goes with it onto the thread's logs.
    producer = threading.Thread(
        target=contextvars.copy_context().run, args=(produce,), name=name, daemon=True
    )
    producer.start()
    try:
        while True:
            item = buffer.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield cast(T, item)
    finally:
        stopped.set()
        producer.join()
