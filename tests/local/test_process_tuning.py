"""The stack processes' tuning: cycles that reach the oldest generation are freed within an
interval, not whenever the raised thresholds allow; glibc's arenas are few, and their free
pages go back to the system."""

from __future__ import annotations

import gc
import os
import platform
import subprocess
import sys
import weakref
from collections.abc import Iterator

import pytest

from alexho_invoice_local import process_tuning
from alexho_invoice_local.process_tuning import FullCollections
from tests.local.conftest import wait_until


class Node:
    """An object that can take part in a reference cycle."""

    partner: object = None


@pytest.fixture
def automatic_collection_off() -> Iterator[None]:
    """Only explicit collections run; afterwards everything is as before."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


@pytest.mark.usefixtures("automatic_collection_off")
def test_a_dropped_cycle_is_freed_by_the_next_full_collection() -> None:
    with FullCollections(interval=0.05):
        # GIVEN a reference cycle that nothing else refers to any more
        cycle = Node()
        cycle.partner = cycle
        freed = weakref.ref(cycle)
        del cycle
        # THEN the periodic full collection frees it
        assert wait_until(lambda: freed() is None, timeout=2)


@pytest.mark.usefixtures("automatic_collection_off")
def test_what_was_loaded_before_the_start_is_frozen() -> None:
    # GIVEN an object alive when the collections start (as the loaded modules are)
    loaded = Node()
    with FullCollections(interval=60):
        # THEN no collection walks it again
        assert gc.get_freeze_count() > 0
        assert not any(candidate is loaded for candidate in gc.get_objects())


@pytest.mark.usefixtures("automatic_collection_off")
def test_with_thawing_survivors_are_frozen_and_the_next_collection_walks_only_the_new() -> None:
    with FullCollections(interval=60, thaw_every=3) as collections:
        # GIVEN an object made after the start, alive through a collection
        survivor = Node()
        collections.collect()
        # WHEN another is made
        newcomer = Node()
        # THEN the survivor is frozen, the newcomer is what a collection walks
        walked = gc.get_objects()
        assert not any(candidate is survivor for candidate in walked)
        assert any(candidate is newcomer for candidate in walked)


@pytest.mark.usefixtures("automatic_collection_off")
def test_with_thawing_a_frozen_object_still_goes_with_its_last_reference() -> None:
    with FullCollections(interval=60, thaw_every=3) as collections:
        # GIVEN a frozen survivor
        survivor = Node()
        collections.collect()
        freed = weakref.ref(survivor)
        # WHEN its last reference goes THEN it is freed at once, no collection needed
        del survivor
        assert freed() is None


@pytest.mark.usefixtures("automatic_collection_off")
def test_a_cycle_frozen_before_it_was_dropped_is_freed_by_the_thawing_collection() -> None:
    # GIVEN collections every 50 ms that thaw every third time, and a cycle that one froze
    with FullCollections(interval=0.05, thaw_every=3):
        frozen_at_start = gc.get_freeze_count()
        cycle = Node()
        cycle.partner = cycle
        freed = weakref.ref(cycle)
        assert wait_until(lambda: gc.get_freeze_count() > frozen_at_start, timeout=2)
        # WHEN it is dropped THEN a thawing collection frees it
        del cycle
        assert wait_until(lambda: freed() is None, timeout=2)


def test_thawing_needs_a_positive_count() -> None:
    with pytest.raises(ValueError, match="thaw_every"):
        FullCollections(thaw_every=0)


#: A process whose threads allocate and free (in ``malloc``'s sizes, not the interpreter's
#: small-object pool) as moto's request threads do; prints its glibc arenas and its RSS before
#: and after :func:`release_free_memory`.
_ALLOCATING_THREADS = """
import ctypes, os, sys, threading
from alexho_invoice_local import process_tuning
if sys.argv[1] == "tuned":
    process_tuning.tune_for_latency()
def rss_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
kept = []
def allocate():
    chunks = [bytes(2048) for _ in range(10_000)]
    kept.extend(chunks[::100])  # a few survivors pin the free space around them
barrier = threading.Barrier(16)
def run():
    barrier.wait()
    allocate()
threads = [threading.Thread(target=run) for _ in range(16)]
for thread in threads: thread.start()
for thread in threads: thread.join()
before = rss_kb()
released = process_tuning.release_free_memory()
after = rss_kb()
os.dup2(1, 2)
ctypes.CDLL("libc.so.6").malloc_stats()
print(f"rss {before} {after} released {released}", flush=True)
"""


def _allocating_threads(mode: str) -> tuple[int, int, int]:
    """Arenas, RSS before and RSS after the release (KB) of the program above."""
    done = subprocess.run(
        [sys.executable, "-c", _ALLOCATING_THREADS, mode],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    arenas = done.stdout.count("Arena ")
    _, before, after, *_ = done.stdout.splitlines()[-1].split()
    return arenas, int(before), int(after)


glibc_only = pytest.mark.skipif(
    sys.platform != "linux" or platform.libc_ver()[0] != "glibc",
    reason="the allocator settings are glibc's",
)


@glibc_only
def test_a_tuned_process_allocates_from_two_arenas_whatever_its_threads() -> None:
    # GIVEN 16 threads allocating at once, in a process as it starts and in a tuned one
    untuned, _, _ = _allocating_threads("untuned")
    tuned, _, _ = _allocating_threads("tuned")
    # THEN glibc gives the untuned one an arena per thread (up to 8 per core), the tuned one 2
    assert tuned == process_tuning.MALLOC_ARENAS
    assert untuned > tuned


@glibc_only
def test_free_memory_between_survivors_goes_back_to_the_system() -> None:
    # GIVEN a tuned process whose threads freed 99 % of what they allocated
    _, before, after = _allocating_threads("tuned")
    # THEN releasing the free memory lowers its RSS (16 threads freed ≈ 300 MB in all)
    assert before - after > 50_000, (before, after)
