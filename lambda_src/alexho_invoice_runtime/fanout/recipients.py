"""Who receives an event: the connections of its audiences, read page by page from the
``byAudience`` index with ``Query`` (never ``Scan``), so an event costs reads in proportion to
its recipients, not to the table."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from typing import Any

from alexho_invoice_runtime.definitions import AUDIENCE, AUDIENCE_INDEX, CONNECTION_ID


class RecipientFinder:
    """Pages of connection ids per audience, with counters of the reads they cost.

    ``client`` is the client of a DynamoDB ``Table`` resource (``table.meta.client``): clients
    are thread-safe, where resources are not, and boto3 converts its values to and from Python
    types. Counters may be read from another thread.
    """

    def __init__(self, client: Any, table_name: str, page_size: int) -> None:
        if page_size < 1:
            raise ValueError("page_size must be positive")
        self._client = client
        self._table_name = table_name
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

    def pages(self, audiences: Iterable[str]) -> Iterator[list[str]]:
        """Connection ids of each audience in turn, one list per ``Query`` page.

        A page is fetched only when the previous one has been consumed; DynamoDB errors
        propagate (a failed read fails the invocation).
        """
        for audience in audiences:
            request: dict[str, Any] = {
                "TableName": self._table_name,
                "IndexName": AUDIENCE_INDEX,
                "KeyConditionExpression": "#audience = :audience",
                "ProjectionExpression": "#id",
                "ExpressionAttributeNames": {"#audience": AUDIENCE, "#id": CONNECTION_ID},
                "ExpressionAttributeValues": {":audience": audience},
                "Limit": self._page_size,
            }
            while True:
                page = self._client.query(**request)
                with self._lock:
                    self._queries += 1
                    self._items_read += int(page.get("ScannedCount", 0))
                ids = [str(item[CONNECTION_ID]) for item in page.get("Items", ())]
                if ids:
                    yield ids
                last_key = page.get("LastEvaluatedKey")
                if not last_key:
                    break
                request["ExclusiveStartKey"] = last_key

    def probe_target(self, connection_id: str) -> list[str]:
        """``[connection_id]`` if the table holds that connection, else ``[]``: a probe goes to
        one registered connection (one ``GetItem``), never to an id nobody authorized."""
        response = self._client.get_item(
            TableName=self._table_name,
            Key={CONNECTION_ID: connection_id},
            ProjectionExpression="#id",
            ExpressionAttributeNames={"#id": CONNECTION_ID},
        )
        found = "Item" in response
        with self._lock:
            self._items_read += int(found)
        return [connection_id] if found else []
