"""The gateway process's full collections: cycles that reach the oldest generation are freed
within an interval, not whenever the raised thresholds allow."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

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
