"""Interpreter settings for the stack's server processes (moto, the gateway, the containers).

They serve many short requests from threads while some requests are CPU-heavy (moto sorts a
whole table for each ``Query``). With the interpreter defaults, full garbage collections over
their many small objects stall every request for 100 ms and more, and a short request waits up
to 5 ms for the interpreter lock at each socket call; measured with the fan-out benchmark, these
two settings cut moto's p99 request latency from about 90 ms to 25 ms.

Raised thresholds make full collections rare, though, and every process of the stack needs
them: each closed WebSocket connection leaves reference cycles (the connection, its tasks, the
exceptions that ended them) that outlive a young collection or two, reach the oldest
generation and are freed only by a full collection; meanwhile they spread over memory the
allocator does not give back. In a soak the gateway grew ≈ 3 KB per connection, 60 MB an hour;
a fan-out container, which starts a reading thread per event, grew 3 to 6 MB an hour.
:class:`FullCollections` freezes what is loaded once a process serves (modules, clients, service
models: nothing a collection needs to walk again) and then collects in full every
:data:`FULL_COLLECTION_SECONDS`, which walks only what was made since.

What a collection frees goes back to the C allocator, and glibc's keeps it: each of the many
short-lived request threads of moto's server takes memory from one of up to eight arenas per
core, and free space inside an arena is returned to the system only from the top of the main
one. In a soak moto's Python objects stayed level (``tracemalloc``: 27 MB) while glibc's
free space grew with its RSS, ≈ 30 MB/h. :func:`tune_for_latency` limits glibc to
:data:`MALLOC_ARENAS` arenas, and :class:`FullCollections` hands the free pages of every arena
back (``malloc_trim``) after each collection. Elsewhere than glibc both do nothing.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import platform
import sys
from types import TracebackType
from typing import Final

from alexho_invoice_local.periodic import Periodic

GC_THRESHOLDS: Final = (50_000, 20, 100)
SWITCH_INTERVAL_SECONDS: Final = 0.0005
FULL_COLLECTION_SECONDS: Final = 30.0
#: glibc arenas a process may use (its default is eight per core); the interpreter lock lets
#: one thread allocate at a time anyway.
MALLOC_ARENAS: Final = 2
_M_ARENA_MAX: Final = -8  # mallopt's parameter, from glibc's malloc.h


def tune_for_latency() -> None:
    """Apply the settings to the current process; call it before it starts threads."""
    gc.set_threshold(*GC_THRESHOLDS)
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    glibc = _glibc()
    if glibc is not None:
        glibc.mallopt(_M_ARENA_MAX, MALLOC_ARENAS)


def release_free_memory() -> bool:
    """Return the C allocator's free pages to the system (glibc's ``malloc_trim``); whether
    any were returned (``False`` elsewhere than glibc)."""
    glibc = _glibc()
    return glibc is not None and bool(glibc.malloc_trim(0))


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    if sys.platform != "linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        glibc = ctypes.CDLL(None)  # the process's own symbols, the C library's among them
        glibc.mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
        glibc.malloc_trim.argtypes = (ctypes.c_size_t,)
    except (OSError, AttributeError):
        return None
    return glibc


class FullCollections:
    """Freezes the objects alive now, then runs a full collection every ``interval`` seconds
    in a thread of its own, each followed by :func:`release_free_memory`, until :meth:`stop`
    (or the end of a ``with`` block).

    With ``thaw_every=N``, each collection also freezes what survived it, so that the next
    walks only what was made since, and every ``N``-th collection unfreezes everything first
    and walks it all. For a process whose survivors are long-lived data (moto's tables) and
    whose garbage dies young: a frozen object is still freed when its last reference goes,
    and only garbage in reference cycles among frozen objects waits for the ``N``-th.
    """

    def __init__(
        self, interval: float = FULL_COLLECTION_SECONDS, *, thaw_every: int | None = None
    ) -> None:
        if thaw_every is not None and thaw_every < 1:
            raise ValueError("thaw_every must be at least 1")
        self._thaw_every = thaw_every
        self._collections = 0
        self._periodic = Periodic(interval, self._collect_next, "full-collections")

    def start(self) -> None:
        """Freeze what is loaded and start collecting."""
        gc.collect()
        gc.freeze()
        self._periodic.start()

    def stop(self) -> None:
        """Stop collecting (the frozen objects stay frozen)."""
        self._periodic.stop()

    def _collect_next(self) -> None:
        self._collections += 1
        thaw = self._thaw_every is not None and self._collections % self._thaw_every == 0
        self.collect(thaw=thaw)
        release_free_memory()

    def collect(self, *, thaw: bool = False) -> int:
        """One collection (after unfreezing everything, with ``thaw``); the survivors are then
        frozen when ``thaw_every`` is set. Returns the number of unreachable objects found."""
        if thaw:
            gc.unfreeze()
        found = gc.collect()
        if self._thaw_every is not None:
            gc.freeze()
        return found

    def __enter__(self) -> FullCollections:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
