"""Reading recipient pages ahead in a background thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from alexho_invoice_runtime.fanout.prefetch import prefetched


def test_items_arrive_in_order_and_complete() -> None:
    # GIVEN a source of five pages WHEN it is read through the prefetcher
    # THEN every page arrives, in order
    assert list(prefetched(iter([[1], [2], [3], [4], [5]]), depth=2)) == [[1], [2], [3], [4], [5]]


def test_source_is_read_ahead_while_the_consumer_works() -> None:
    # GIVEN a source that records how far it has been read
    produced: list[int] = []
    second_read = threading.Event()

    def source() -> Iterator[int]:
        for item in range(3):
            produced.append(item)
            if item == 1:
                second_read.set()
            yield item

    pages = prefetched(source(), depth=2)
    # WHEN the consumer has taken only the first item
    assert next(pages) == 0
    # THEN the producer has already fetched the next one
    assert second_read.wait(timeout=5)
    assert list(pages) == [1, 2]


def test_error_of_the_source_reaches_the_consumer_after_earlier_items() -> None:
    # GIVEN a source that fails after one page
    def source() -> Iterator[str]:
        yield "page-1"
        raise ConnectionError("DynamoDB unreachable")

    pages = prefetched(source(), depth=1)
    # WHEN it is consumed THEN the first page arrives, then the source's error is raised
    assert next(pages) == "page-1"
    with pytest.raises(ConnectionError, match="unreachable"):
        next(pages)


def test_closing_early_stops_the_producer() -> None:
    # GIVEN an endless source read ahead by one
    def endless() -> Iterator[int]:
        item = 0
        while True:
            yield item
            item += 1

    pages = prefetched(endless(), depth=1, name="test-prefetch")
    next(pages)
    # WHEN the consumer closes the generator
    pages.close()
    # THEN the producer thread has ended
    assert not [t for t in threading.enumerate() if t.name == "test-prefetch"]
