"""Delivery of one invoice event: log it for ``resume``, find its recipients, screen out (and
close) those whose token expired or was revoked, post its frame to the others.

A probe (an envelope with ``probeconnectionid``, see
:mod:`alexho_invoice_runtime.contract.probe`) is posted in a ``probe`` frame to its one
connection, if the table holds it, and is not recorded: no audience sees it, live or on resume.

Recording comes first and is idempotent on the event id, so a redelivered event (Lambda retry,
SNS duplicate) keeps its cursor and is posted again under the same id: delivery is
at-least-once and clients de-duplicate by ``id``. Recipients stream from the ``Query`` pages
(fetched and screened ahead in a background thread) into the posting loops; a failed read
raises; a failed post is counted and its connection closed (the client resumes, no silent
gap). Every AWS call goes through
:mod:`alexho_invoice_runtime.aws`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from itertools import chain
from typing import Any, Final

from alexho_invoice_runtime.access import close_connection
from alexho_invoice_runtime.auth.config import leeway_seconds_from_env
from alexho_invoice_runtime.aws import clients
from alexho_invoice_runtime.aws.errors import AwsError
from alexho_invoice_runtime.connections import ConnectionStore
from alexho_invoice_runtime.contract import (
    InvoiceEvent,
    audiences_for_event,
    encode_event_frame,
    encode_probe_frame,
    probe_connection_id,
)
from alexho_invoice_runtime.event_log import EventLog
from alexho_invoice_runtime.fanout.poster import (
    ConnectionPoster,
    PostResult,
    RetryPolicy,
    post_to_all,
)
from alexho_invoice_runtime.fanout.prefetch import prefetched
from alexho_invoice_runtime.fanout.recipients import Recipient, RecipientFinder
from alexho_invoice_runtime.fanout.screening import RecipientScreen
from alexho_invoice_runtime.fanout.settings import BACKOFF_CAP_SECONDS, FanoutSettings
from alexho_invoice_runtime.observability import get_logger
from alexho_invoice_runtime.revocations import MemoizedRevocations, RevocationLookup

#: ``Query`` pages fetched ahead of the one being posted.
PAGES_AHEAD: Final = 2

_log = get_logger(__name__)


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
    #: Connections closed instead of posted to: token expired, identity revoked.
    expired: int
    revoked: int
    failures: dict[str, int]
    queries: int
    items_read: int
    #: From the first post's start to the last post's end.
    posting_ms: float
    #: The whole delivery: event-log write, recipient pages, posts.
    duration_ms: float
    #: A probe: posted to its one connection, not recorded (``cursor`` is empty).
    probe: bool = False

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
            "expired": self.expired,
            "revoked": self.revoked,
            "failures": self.failures,
            "queries": self.queries,
            "itemsRead": self.items_read,
            "postingMs": round(self.posting_ms, 1),
            "durationMs": round(self.duration_ms, 1),
            **({"probe": True} if self.probe else {}),
        }


class EventDelivery:
    """Delivers events through one event log, connections table and posting function."""

    def __init__(
        self,
        *,
        event_log: EventLog,
        new_finder: Callable[[], RecipientFinder],
        new_screen: Callable[[], RecipientScreen],
        post: Callable[[str, bytes], PostResult],
        executor: Executor,
        workers: int,
    ) -> None:
        self._event_log = event_log
        self._new_finder = new_finder
        self._new_screen = new_screen
        self._post = post
        self._executor = executor
        self._workers = workers

    def deliver(self, event: InvoiceEvent, received_at_ms: int) -> DeliveryReport:
        """Record ``event`` and post its frame to every connection of its audiences."""
        started = time.perf_counter()
        audiences = audiences_for_event(event)
        finder = self._new_finder()
        screen = self._new_screen()
        probe_target = probe_connection_id(event)
        if probe_target is not None:
            cursor = ""
            data = encode_probe_frame(event).encode()
            pages: Iterator[list[Recipient]] = iter([finder.probe_target(probe_target)])
        else:
            cursor = self._event_log.record(event, audiences, received_at_ms)
            data = encode_event_frame(cursor, event).encode()
            pages = finder.pages(audiences)
        # Pages are read and screened (revocations included) ahead, while others are posted.
        live_pages = prefetched(
            (screen.live_ids(page) for page in pages), PAGES_AHEAD, name="fanout-recipients"
        )
        try:
            tally = post_to_all(
                self._post, chain.from_iterable(live_pages), data, self._executor, self._workers
            )
        finally:
            live_pages.close()
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
            expired=screen.expired,
            revoked=screen.revoked,
            failures=dict(tally.failures),
            queries=finder.queries,
            items_read=finder.items_read,
            posting_ms=tally.posting_seconds * 1000,
            duration_ms=(time.perf_counter() - started) * 1000,
            probe=probe_target is not None,
        )


@cache
def posting_pool(workers: int) -> ThreadPoolExecutor:
    """The container's posting threads (started on first use, kept while the container lives)."""
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fanout-post")


def event_delivery(settings: FanoutSettings) -> EventDelivery:
    """An :class:`EventDelivery` over this container's AWS clients (:mod:`aws.clients
    <alexho_invoice_runtime.aws.clients>`): each posting thread keeps its own keep-alive
    connection to ``@connections``; :class:`ConnectionPoster` retries what is transient.
    """
    connections_table = clients.connections_table()
    store = ConnectionStore(connections_table)
    api = clients.connections_api()

    def close(connection_id: str) -> None:
        try:
            close_connection(api, connection_id)
            store.delete(connection_id)
        except AwsError as error:
            # Not posted to either way; the next event (or the row's TTL) tries again.
            _log.warning(
                "could not close a connection",
                extra={"connectionId": connection_id, "error": error.code},
            )

    revocations = RevocationLookup(clients.revocations_table())
    leeway_seconds = leeway_seconds_from_env()
    poster = ConnectionPoster(
        api,
        store.delete,
        RetryPolicy(settings.max_attempts, settings.backoff_base_seconds, BACKOFF_CAP_SECONDS),
        # A client that missed this frame must resume: close its connection (no silent gap).
        close_failed=close,
    )
    return EventDelivery(
        event_log=EventLog(clients.event_log_table(), settings.event_retention_seconds),
        new_finder=lambda: RecipientFinder(connections_table, settings.query_page_size),
        new_screen=lambda: RecipientScreen(
            MemoizedRevocations(revocations).revoked_at, close, leeway_seconds
        ),
        post=poster.post,
        executor=posting_pool(settings.workers),
        workers=settings.workers,
    )
