"""Delivery of one invoice event: log it for ``resume``, find its recipients, post its frame.

Recording comes first and is idempotent on the event id, so a redelivered event (Lambda retry,
SNS duplicate) keeps its cursor and is posted again under the same id: delivery is
at-least-once and clients de-duplicate by ``id``. Recipients stream from the ``Query`` pages
(fetched ahead in a background thread) into the posting pool; a failed read raises, a failed
post is only counted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from itertools import chain
from typing import Any, Final

from alexho_invoice_runtime import aws_clients
from alexho_invoice_runtime.connections import ConnectionStore
from alexho_invoice_runtime.contract import InvoiceEvent, audiences_for_event, encode_event_frame
from alexho_invoice_runtime.event_log import EventLog
from alexho_invoice_runtime.fanout.poster import (
    ConnectionPoster,
    PostResult,
    RetryPolicy,
    post_to_all,
)
from alexho_invoice_runtime.fanout.prefetch import prefetched
from alexho_invoice_runtime.fanout.recipients import RecipientFinder
from alexho_invoice_runtime.fanout.settings import BACKOFF_CAP_SECONDS, FanoutSettings

#: ``Query`` pages fetched ahead of the one being posted.
PAGES_AHEAD: Final = 2


@dataclass(frozen=True)
class DeliveryReport:
    """What happened to one event."""

    event_id: str
    event_type: str
    cursor: str
    audiences: tuple[str, ...]
    recipients: int
    delivered: int
    gone: int
    failed: int
    retries: int
    failures: dict[str, int]
    queries: int
    items_read: int
    #: From the first post's start to the last post's end.
    posting_ms: float
    #: The whole delivery: event-log write, recipient pages, posts.
    duration_ms: float

    def log_fields(self) -> dict[str, Any]:
        """The report as structured log fields (ids and counts only, no payload)."""
        return {
            "eventId": self.event_id,
            "eventType": self.event_type,
            "cursor": self.cursor,
            "audiences": list(self.audiences),
            "recipients": self.recipients,
            "delivered": self.delivered,
            "gone": self.gone,
            "failed": self.failed,
            "retries": self.retries,
            "failures": self.failures,
            "queries": self.queries,
            "itemsRead": self.items_read,
            "postingMs": round(self.posting_ms, 1),
            "durationMs": round(self.duration_ms, 1),
        }


class EventDelivery:
    """Delivers events through one event log, connections table and posting function."""

    def __init__(
        self,
        *,
        event_log: EventLog,
        new_finder: Callable[[], RecipientFinder],
        post: Callable[[str, bytes], PostResult],
        executor: Executor,
        max_in_flight: int,
    ) -> None:
        self._event_log = event_log
        self._new_finder = new_finder
        self._post = post
        self._executor = executor
        self._max_in_flight = max_in_flight

    def deliver(self, event: InvoiceEvent, received_at_ms: int) -> DeliveryReport:
        """Record ``event`` and post its frame to every connection of its audiences."""
        started = time.perf_counter()
        audiences = audiences_for_event(event)
        cursor = self._event_log.record(event, audiences, received_at_ms)
        data = encode_event_frame(cursor, event).encode()
        finder = self._new_finder()
        pages = prefetched(finder.pages(audiences), PAGES_AHEAD, name="fanout-recipients")
        try:
            tally = post_to_all(
                self._post,
                chain.from_iterable(pages),
                data,
                self._executor,
                self._max_in_flight,
            )
        finally:
            pages.close()
        return DeliveryReport(
            event_id=event["id"],
            event_type=event["type"],
            cursor=cursor,
            audiences=audiences,
            recipients=tally.posted,
            delivered=tally.delivered,
            gone=tally.gone,
            failed=tally.failed,
            retries=tally.retries,
            failures=dict(tally.failures),
            queries=finder.queries,
            items_read=finder.items_read,
            posting_ms=tally.posting_seconds * 1000,
            duration_ms=(time.perf_counter() - started) * 1000,
        )


@cache
def posting_pool(workers: int) -> ThreadPoolExecutor:
    """The container's posting threads (started on first use, kept while the container lives)."""
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fanout-post")


def event_delivery(settings: FanoutSettings) -> EventDelivery:
    """An :class:`EventDelivery` over this container's AWS clients (see :mod:`aws_clients`).

    Posts are signed and sent by :func:`aws_clients.connections_api` on an HTTP connection
    pool as large as the thread pool; :class:`ConnectionPoster` retries what is transient.
    """
    connections_table = aws_clients.connections_table()
    dynamodb_client = connections_table.meta.client
    store = ConnectionStore(connections_table)
    # boto3 resources are not thread-safe: posting threads delete gone rows one at a time.
    store_lock = threading.Lock()

    def remove_connection(connection_id: str) -> None:
        with store_lock:
            store.delete(connection_id)

    poster = ConnectionPoster(
        aws_clients.connections_api(max_connections=settings.workers),
        remove_connection,
        RetryPolicy(settings.max_attempts, settings.backoff_base_seconds, BACKOFF_CAP_SECONDS),
    )
    return EventDelivery(
        event_log=EventLog(aws_clients.event_log_table(), settings.event_retention_seconds),
        new_finder=lambda: RecipientFinder(
            dynamodb_client, connections_table.name, settings.query_page_size
        ),
        post=poster.post,
        executor=posting_pool(settings.workers),
        max_in_flight=settings.max_in_flight,
    )
