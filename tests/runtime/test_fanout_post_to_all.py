"""``post_to_all``: a fixed number of posting loops over a lazily read stream of ids."""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from alexho_invoice_runtime.fanout.poster import Outcome, PostResult, post_to_all

DATA = b"frame"
CORRELATION: contextvars.ContextVar[str] = contextvars.ContextVar("correlation", default="")


class Recorder:
    """A post function that takes a little time and records who ran when."""

    def __init__(self, seconds: float = 0.002) -> None:
        self.seconds = seconds
        self.lock = threading.Lock()
        self.running = 0
        self.most_running = 0
        self.posted: list[str] = []
        self.correlations: set[str] = set()

    def __call__(self, connection_id: str, data: bytes) -> PostResult:
        with self.lock:
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        time.sleep(self.seconds)
        with self.lock:
            self.running -= 1
            self.posted.append(connection_id)
            self.correlations.add(CORRELATION.get())
        return PostResult(Outcome.DELIVERED)


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        yield pool


def test_every_id_is_posted_once_by_at_most_workers_posts_at_a_time(
    executor: ThreadPoolExecutor,
) -> None:
    # GIVEN 200 ids and 4 posting loops on a pool of 8 threads
    post = Recorder()
    ids = [f"c{i}" for i in range(200)]
    # WHEN they are posted
    tally = post_to_all(post, ids, DATA, executor, workers=4)
    # THEN each id got one post, never more than 4 ran at once, and all were counted
    assert sorted(post.posted) == sorted(ids)
    assert 1 < post.most_running <= 4
    assert (tally.delivered, tally.posted) == (200, 200)
    assert tally.posting_seconds > 0


def test_posts_run_in_the_callers_context(executor: ThreadPoolExecutor) -> None:
    # GIVEN a correlation id set by the caller
    post = Recorder(seconds=0)
    CORRELATION.set("req-42")
    # WHEN ids are posted from the pool's threads
    post_to_all(post, [f"c{i}" for i in range(20)], DATA, executor, workers=3)
    # THEN every post saw it
    assert post.correlations == {"req-42"}


def test_an_error_of_the_source_is_raised_after_the_started_posts_finish(
    executor: ThreadPoolExecutor,
) -> None:
    # GIVEN a source that fails after 10 ids (a failed Query page)
    post = Recorder(seconds=0.01)

    def source() -> Iterator[str]:
        yield from (f"c{i}" for i in range(10))
        raise RuntimeError("Query failed")

    # WHEN the ids are posted
    with pytest.raises(RuntimeError, match="Query failed"):
        post_to_all(post, source(), DATA, executor, workers=4)
    # THEN the 10 ids were posted, and every started post had finished before it was raised
    assert sorted(post.posted) == sorted(f"c{i}" for i in range(10))
    assert post.running == 0


def test_an_error_of_a_post_stops_taking_ids_and_is_raised(executor: ThreadPoolExecutor) -> None:
    # GIVEN a post function with a bug that shows on one id
    posted: list[str] = []

    def post(connection_id: str, data: bytes) -> PostResult:
        if connection_id == "c5":
            raise KeyError("bug")
        posted.append(connection_id)
        return PostResult(Outcome.DELIVERED)

    ids = (f"c{i}" for i in range(1000))
    # WHEN the ids are posted by one loop
    with pytest.raises(KeyError):
        post_to_all(post, ids, DATA, executor, workers=1)
    # THEN the ids before it were posted and no id after it was taken
    assert posted == [f"c{i}" for i in range(5)]
    assert next(ids) == "c6"


def test_no_ids_posts_nothing(executor: ThreadPoolExecutor) -> None:
    tally = post_to_all(Recorder(), [], DATA, executor, workers=4)
    assert (tally.posted, tally.posting_seconds) == (0, 0.0)


def test_workers_must_be_positive(executor: ThreadPoolExecutor) -> None:
    with pytest.raises(ValueError, match="workers"):
        post_to_all(Recorder(), ["c1"], DATA, executor, workers=0)
