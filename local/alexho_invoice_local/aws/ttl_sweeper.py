"""DynamoDB's Time to Live, which moto does not implement: items whose TTL attribute is in the
past are deleted by a sweep every minute (DynamoDB deletes them within days; the runtime never
relies on the deletion, it filters expired entries itself). Keeps the local tables, and moto's
cost per request, from growing without bound during long sessions.

moto answers one DynamoDB request at a time, so each request of a sweep holds up the runtime's:
a sweep reads in pages of :data:`SCAN_PAGE_ITEMS` items (one scan of a full event log held moto
for ≈ 0.1 s) and waits :data:`PAUSE_SECONDS` after each of its requests. Sent back to back, a
full event log's pages and deletes (at the soak's load about 18 pages of ≈ 14 ms and 15 batch
deletes a minute) held moto in turns for a second or two: a fan-out in that time waited behind
one at each of its own requests (in a 15-minute soak the fan-outs' p99 went from 97 ms before
the log was full to 211 ms after)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

LOGGER = logging.getLogger(__name__)
_BATCH = 25
#: Items per ``Scan`` page of a sweep.
SCAN_PAGE_ITEMS = 200
#: Seconds a sweep waits after each of its requests, for the runtime's to be served.
PAUSE_SECONDS = 0.1


class TtlSweeper:
    """Deletes expired items of ``tables`` (name, key attributes, TTL attribute) periodically."""

    def __init__(
        self,
        dynamodb: Any,
        tables: Sequence[tuple[str, Sequence[str], str]],
        interval_seconds: float = 60.0,
        page_items: int = SCAN_PAGE_ITEMS,
        pause_seconds: float = PAUSE_SECONDS,
    ) -> None:
        self._dynamodb = dynamodb
        self._tables = tables
        self._interval = interval_seconds
        self._page_items = page_items
        self._pause = pause_seconds
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ttl-sweeper", daemon=True)

    def start(self) -> None:
        """Sweep every ``interval_seconds`` until :meth:`stop`."""
        self._thread.start()

    def stop(self) -> None:
        """Stop sweeping (waits for a sweep in progress)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()

    def sweep(self, now: float | None = None) -> int:
        """Delete every item whose TTL attribute is before ``now``; returns how many."""
        cutoff = int(time.time() if now is None else now)
        deleted = 0
        for table, keys, ttl_attribute in self._tables:
            expired = self._expired_keys(table, keys, ttl_attribute, cutoff)
            for start in range(0, len(expired), _BATCH):
                requests = [
                    {"DeleteRequest": {"Key": key}} for key in expired[start : start + _BATCH]
                ]
                self._dynamodb.batch_write_item(RequestItems={table: requests})
                self._stopping.wait(self._pause)
            deleted += len(expired)
        return deleted

    def _expired_keys(
        self, table: str, keys: Sequence[str], ttl_attribute: str, cutoff: int
    ) -> list[dict[str, Any]]:
        names = {f"#k{index}": key for index, key in enumerate(keys)}
        request: dict[str, Any] = {
            "TableName": table,
            "FilterExpression": "#ttl < :cutoff",
            "ProjectionExpression": ", ".join(names),
            "ExpressionAttributeNames": {**names, "#ttl": ttl_attribute},
            "ExpressionAttributeValues": {":cutoff": {"N": str(cutoff)}},
            "Limit": self._page_items,
        }
        found: list[dict[str, Any]] = []
        while True:
            page = self._dynamodb.scan(**request)
            self._stopping.wait(self._pause)
            found += page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return found
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                self.sweep()
            except Exception:
                LOGGER.exception("TTL sweep failed")
