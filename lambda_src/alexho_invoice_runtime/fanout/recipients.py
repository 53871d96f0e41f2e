"""Who receives an event: the connections of its audiences, read page by page from the
``byAudience`` index with ``Query`` (never ``Scan``), so an event costs reads in proportion to
its recipients, not to the table. Each recipient comes with what fan-out checks before posting
to it: its subject and its token's ``iat``/``exp`` (projected into the index)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from alexho_invoice_runtime.aws.dynamodb import TableApi
from alexho_invoice_runtime.definitions import (
    ADMIN,
    AUDIENCE,
    AUDIENCE_INDEX,
    CONNECTION_ID,
    CUSTOMER,
    CUSTOMER_AUDIENCE_PREFIX,
    SUBJECT,
    TOKEN_EXPIRES_AT,
    TOKEN_ISSUED_AT,
)

#: What fan-out reads of each recipient (all projected into the ``byAudience`` index).
_RECIPIENT_ATTRIBUTES: Final = (CONNECTION_ID, SUBJECT, TOKEN_ISSUED_AT, TOKEN_EXPIRES_AT)


@dataclass(frozen=True)
class Recipient:
    """One connection of an audience, as the index holds it."""

    connection_id: str
    audience: str
    sub: str
    #: ``iat``/``exp`` of the connection's token (0 on a row written before they existed).
    token_issued_at: int
    token_expires_at: int

    @property
    def user_type(self) -> str:
        """``CUSTOMER`` for a customer audience, else ``ADMIN``."""
        return CUSTOMER if self.audience.startswith(CUSTOMER_AUDIENCE_PREFIX) else ADMIN

    @property
    def customer_id(self) -> str:
        """The customer of a customer audience (``""`` for admins)."""
        if self.user_type == CUSTOMER:
            return self.audience.removeprefix(CUSTOMER_AUDIENCE_PREFIX)
        return ""

    @classmethod
    def from_item(cls, audience: str, item: dict[str, Any]) -> Recipient:
        """A recipient from an index item with plain values (``str``, ``int``/``Decimal``)."""
        return cls(
            connection_id=str(item[CONNECTION_ID]),
            audience=audience,
            sub=str(item.get(SUBJECT, "")),
            token_issued_at=int(item.get(TOKEN_ISSUED_AT, 0)),
            token_expires_at=int(item.get(TOKEN_EXPIRES_AT, 0)),
        )


class RecipientFinder:
    """Pages of connection ids per audience, with counters of the reads they cost.

    ``table`` is the connections table (thread-safe). Counters may be read from another
    thread.
    """

    def __init__(self, table: TableApi, page_size: int) -> None:
        if page_size < 1:
            raise ValueError("page_size must be positive")
        self._table = table
        self._page_size = page_size
        self._lock = threading.Lock()
        self._queries = 0
        self._items_read = 0

    @property
    def queries(self) -> int:
        """``Query`` requests made so far."""
        with self._lock:
            return self._queries

    @property
    def items_read(self) -> int:
        """Items DynamoDB read for those requests (the sum of their ``ScannedCount``)."""
        with self._lock:
            return self._items_read

    def pages(self, audiences: Iterable[str]) -> Iterator[list[Recipient]]:
        """Recipients of each audience in turn, one list per ``Query`` page.

        A page is fetched only when the previous one has been consumed; DynamoDB errors
        propagate (a failed read fails the invocation).
        """
        for audience in audiences:
            start_key: dict[str, Any] | None = None
            while True:
                page = self._table.query(
                    "#audience = :audience",
                    names={"#audience": AUDIENCE},
                    values={":audience": audience},
                    index=AUDIENCE_INDEX,
                    projection=_RECIPIENT_ATTRIBUTES,
                    limit=self._page_size,
                    start_key=start_key,
                )
                with self._lock:
                    self._queries += 1
                    self._items_read += page.scanned_count
                recipients = [Recipient.from_item(audience, item) for item in page.items]
                if recipients:
                    yield recipients
                if page.last_key is None:
                    break
                start_key = page.last_key

    def probe_target(self, connection_id: str) -> list[Recipient]:
        """The connection ``connection_id`` if the table holds it, else ``[]``: a probe goes to
        one registered connection (one ``GetItem``), never to an id nobody authorized."""
        item = self._table.get(
            {CONNECTION_ID: connection_id}, projection=(*_RECIPIENT_ATTRIBUTES, AUDIENCE)
        )
        with self._lock:
            self._items_read += int(item is not None)
        if item is None:
            return []
        return [Recipient.from_item(str(item.get(AUDIENCE, "")), item)]
