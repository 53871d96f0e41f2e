"""Posting one frame to many connections: concurrently, bounded, one failure at a time.

:class:`ConnectionPoster` posts to one connection and decides by the HTTP status: 2xx is
delivered; 410 is gone and removes exactly that connection's row; 429 (throttling) and the
transient 500, 502, 503 and 504 are retried with exponential backoff and full jitter up to a
bounded number of attempts; any other status (403, other 4xx, 501, ...) is a failed post counted
under its error code; a post that got no answer (a dropped connection, a timeout) is retried
once. None of these is an exception. A connection whose post failed for good is handed to
``close_failed`` (the fan-out closes it): its client missed a live frame it cannot know about,
so it must reconnect and ``resume`` rather than go on with a silent gap
(docs/architecture.md §8). :func:`post_to_all` runs it over a stream of connection ids
from a fixed number of loops on a thread pool, each taking the next id as it finishes a post,
so ids are consumed as fast as they are posted, with no per-post task, future or callback.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, wait
from dataclasses import dataclass, field
from enum import Enum
from typing import Final

from alexho_invoice_runtime.aws.connections_api import ConnectionsApi
from alexho_invoice_runtime.aws.errors import AwsError
from alexho_invoice_runtime.aws.retry import RETRYABLE_STATUSES, RetryPolicy
from alexho_invoice_runtime.observability import get_logger

__all__ = [
    "RETRYABLE_STATUSES",
    "ConnectionPoster",
    "Outcome",
    "PostResult",
    "PostTally",
    "RetryPolicy",
    "post_to_all",
]

#: The status of a connection that is no longer open.
GONE_STATUS: Final = 410
#: Attempts of a post that gets no HTTP answer at all: the first and one retry.
NETWORK_ATTEMPTS: Final = 2
#: Error code recorded for a failure that carries none.
NETWORK_ERROR: Final = "NetworkError"

_log = get_logger(__name__)


class Outcome(Enum):
    """What became of one post."""

    DELIVERED = "delivered"
    GONE = "gone"
    FAILED = "failed"


@dataclass(frozen=True)
class PostResult:
    """The outcome of one post, with the retries it took and why it failed, if it did."""

    outcome: Outcome
    retries: int = 0
    error_code: str | None = None


@dataclass
class PostTally:
    """Counts of the posts of one event (updated from several threads: use :meth:`add`)."""

    delivered: int = 0
    gone: int = 0
    failed: int = 0
    retries: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    #: Seconds from the first post's submission until the last post finished.
    posting_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def posted(self) -> int:
        """Connections whose post has finished, whatever the outcome."""
        return self.delivered + self.gone + self.failed

    def add(self, result: PostResult) -> None:
        """Count one finished post."""
        with self._lock:
            if result.outcome is Outcome.DELIVERED:
                self.delivered += 1
            elif result.outcome is Outcome.GONE:
                self.gone += 1
            else:
                self.failed += 1
                self.failures[result.error_code or NETWORK_ERROR] += 1
            self.retries += result.retries


class ConnectionPoster:
    """Posts to one connection through a :class:`ConnectionsApi`, retrying what is transient.

    ``remove_connection`` is called with the id of each connection the API reports gone, and
    ``close_failed`` (when given) with the id of each connection whose post failed for good.
    """

    def __init__(
        self,
        api: ConnectionsApi,
        remove_connection: Callable[[str], object],
        retry: RetryPolicy,
        sleep: Callable[[float], None] = time.sleep,
        close_failed: Callable[[str], object] | None = None,
    ) -> None:
        self._api = api
        self._remove_connection = remove_connection
        self._retry = retry
        self._sleep = sleep
        self._close_failed = close_failed

    def post(self, connection_id: str, data: bytes) -> PostResult:
        """Post ``data`` to ``connection_id``; never raises for an HTTP or network error."""
        attempt = 1
        unanswered = 0
        while True:
            try:
                reply = self._api.post_once(connection_id, data)
            except AwsError as error:
                unanswered += 1
                if unanswered >= NETWORK_ATTEMPTS or attempt >= self._retry.max_attempts:
                    return self._failed(connection_id, attempt, error.code)
            else:
                if 200 <= reply.status < 300:
                    return PostResult(Outcome.DELIVERED, attempt - 1)
                if reply.status == GONE_STATUS:
                    self._remove(connection_id)
                    return PostResult(Outcome.GONE, attempt - 1)
                if reply.status not in RETRYABLE_STATUSES or attempt >= self._retry.max_attempts:
                    # The error type API Gateway names, else the status itself.
                    code = reply.error_type or str(reply.status)
                    return self._failed(connection_id, attempt, code)
            self._sleep(self._retry.delay(attempt))
            attempt += 1

    def _remove(self, connection_id: str) -> None:
        try:
            self._remove_connection(connection_id)
        except AwsError as error:
            # The post is still "gone"; the row's TTL removes it if this delete did not.
            _log.warning(
                "could not delete a gone connection",
                extra={"connectionId": connection_id, "error": error.code},
            )

    def _failed(self, connection_id: str, attempts: int, code: str) -> PostResult:
        _log.warning(
            "post to connection failed",
            extra={"connectionId": connection_id, "attempts": attempts, "error": code},
        )
        if self._close_failed is not None:
            self._close_failed(connection_id)
        return PostResult(Outcome.FAILED, attempts - 1, code)


def post_to_all(
    post: Callable[[str, bytes], PostResult],
    connection_ids: Iterable[str],
    data: bytes,
    executor: Executor,
    workers: int,
) -> PostTally:
    """Post ``data`` to every id of ``connection_ids`` from ``workers`` loops on ``executor``
    and count the outcomes.

    Each loop takes the next id (one loop at a time reads the iterable) and posts to it, so a
    lazily paged source is read while earlier ids are being posted, and no more than
    ``workers`` posts run at once. Every loop runs in a copy of the caller's context (log lines
    keep its correlation id). The first exception from the iterable (e.g. a failed ``Query``)
    or from ``post`` itself (a bug) stops the loops from taking more ids, and is raised once
    every started post has finished.
    """
    if workers < 1:
        raise ValueError("workers must be positive")
    tally = PostTally()
    remaining = iter(connection_ids)
    lock = threading.Lock()
    errors: list[BaseException] = []
    first_taken: float | None = None

    def take() -> str | None:
        nonlocal first_taken
        with lock:
            if errors:
                return None
            try:
                connection_id = next(remaining)
            except StopIteration:
                return None
            except BaseException as error:  # raised by post_to_all once the loops are done
                errors.append(error)
                return None
            if first_taken is None:
                first_taken = time.perf_counter()
            return connection_id

    def loop() -> None:
        while (connection_id := take()) is not None:
            try:
                result = post(connection_id, data)
            except BaseException as error:  # raised by post_to_all once the loops are done
                with lock:
                    errors.append(error)
                return
            tally.add(result)

    loops = [executor.submit(contextvars.copy_context().run, loop) for _ in range(workers)]
    wait(loops)
    if first_taken is not None:
        tally.posting_seconds = time.perf_counter() - first_taken
    if errors:
        raise errors[0]
    return tally
