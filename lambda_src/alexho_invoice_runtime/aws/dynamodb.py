"""DynamoDB on its JSON protocol (``X-Amz-Target: DynamoDB_20120810.<Operation>``): a client of
one endpoint, and :class:`Table`, the typed interface the runtime's stores use.

Items and keys are Python values (:mod:`~alexho_invoice_runtime.aws.dynamodb_values`).
Throttling, 5xx answers and requests without an answer are retried by the layer's policy
(:mod:`~alexho_invoice_runtime.aws.retry`); unprocessed items and keys of the batch
operations are retried with the same jittered backoff, for a bounded number of rounds. Every
failure is an :class:`~alexho_invoice_runtime.aws.errors.AwsError`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from alexho_invoice_runtime.aws.dynamodb_values import (
    Item,
    from_wire_item,
    to_wire_item,
)
from alexho_invoice_runtime.aws.errors import AwsError
from alexho_invoice_runtime.aws.json_protocol import json_answer
from alexho_invoice_runtime.aws.retry import DEFAULT_POLICY, RetryPolicy, with_retries
from alexho_invoice_runtime.aws.transport import Endpoint

_TARGET_PREFIX: Final = "DynamoDB_20120810."
_CONTENT_TYPE: Final = "application/x-amz-json-1.0"
#: Most keys per ``BatchGetItem`` request and items per ``BatchWriteItem`` request.
BATCH_GET_LIMIT: Final = 100
BATCH_WRITE_LIMIT: Final = 25
#: Rounds of a batch operation (the first included) while items are left unprocessed.
BATCH_ROUNDS: Final = 5
#: Error code of a batch operation that still left items unprocessed after its rounds.
UNPROCESSED: Final = "UnprocessedItems"


@dataclass(frozen=True)
class QueryPage:
    """One page of a ``Query``: its items, where the next page starts, and what it read."""

    items: list[Item]
    last_key: Item | None
    #: Items DynamoDB read for the page (before any filter), as it reports them.
    scanned_count: int


class TableApi(Protocol):
    """What the runtime's stores need of one DynamoDB table."""

    @property
    def name(self) -> str:
        """The table's name."""
        ...

    def get(
        self, key: Item, *, consistent: bool = False, projection: Sequence[str] = ()
    ) -> Item | None:
        """``GetItem``: the item of ``key`` (only ``projection``'s attributes when given)."""
        ...

    def put(
        self,
        item: Item,
        *,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Item | None = None,
    ) -> None:
        """``PutItem``; a false ``condition`` raises ``AwsError`` (conditional check)."""
        ...

    def update(
        self,
        key: Item,
        expression: str,
        *,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Item | None = None,
    ) -> None:
        """``UpdateItem`` with an update expression."""
        ...

    def delete(self, key: Item) -> Item | None:
        """``DeleteItem``; the deleted item, ``None`` when there was none."""
        ...

    def query(
        self,
        key_condition: str,
        *,
        names: Mapping[str, str],
        values: Item,
        index: str | None = None,
        projection: Sequence[str] = (),
        limit: int | None = None,
        forward: bool = True,
        start_key: Item | None = None,
        consistent: bool = False,
    ) -> QueryPage:
        """One ``Query`` page (strongly consistent with ``consistent``)."""
        ...

    def batch_get(
        self, keys: Sequence[Item], *, consistent: bool = False, projection: Sequence[str] = ()
    ) -> list[Item]:
        """``BatchGetItem`` of ``keys`` (any number): the items found, in no set order."""
        ...

    def batch_write(self, puts: Iterable[Item] = (), deletes: Iterable[Item] = ()) -> None:
        """``BatchWriteItem``: put ``puts`` and delete the items of the keys ``deletes``."""
        ...


def _projection(attributes: Sequence[str]) -> dict[str, Any]:
    """``ProjectionExpression`` and its names for ``attributes`` (``#p0, #p1, ...``)."""
    if not attributes:
        return {}
    names = {f"#p{index}": name for index, name in enumerate(attributes)}
    return {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}


def _with_names(params: dict[str, Any], names: Mapping[str, str] | None) -> dict[str, Any]:
    if names:
        params["ExpressionAttributeNames"] = {**params.get("ExpressionAttributeNames", {}), **names}
    return params


class DynamoDb:
    """DynamoDB calls on one endpoint. Thread-safe; ``sleep`` is the backoff's pause."""

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        retry: RetryPolicy = DEFAULT_POLICY,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._endpoint = endpoint
        self._retry = retry
        self._sleep = sleep

    def table(self, name: str) -> Table:
        """The table ``name`` on this client."""
        return Table(self, name)

    def call(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """``operation`` with ``params`` in DynamoDB's wire form, retried by the policy; its
        JSON answer."""
        body = json.dumps(params).encode()
        headers = {"Content-Type": _CONTENT_TYPE, "X-Amz-Target": _TARGET_PREFIX + operation}
        return with_retries(lambda: self._once(body, headers), self._retry, sleep=self._sleep)

    def _once(self, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        reply = self._endpoint.request("POST", "/", body, headers)
        return json_answer(reply.status, reply.body)

    def pause(self, round_number: int) -> None:
        """The jittered pause before retry round ``round_number`` (1-based) of a batch."""
        self._sleep(self._retry.delay(round_number))


class Table:
    """One table through a :class:`DynamoDb` client (implements :class:`TableApi`)."""

    def __init__(self, client: DynamoDb, name: str) -> None:
        self._client = client
        self._name = name

    @property
    def name(self) -> str:
        """The table's name."""
        return self._name

    def get(
        self, key: Item, *, consistent: bool = False, projection: Sequence[str] = ()
    ) -> Item | None:
        """``GetItem``: the item of ``key`` (only ``projection``'s attributes when given)."""
        params = {
            "TableName": self._name,
            "Key": to_wire_item(key),
            "ConsistentRead": consistent,
            **_projection(projection),
        }
        answer = self._client.call("GetItem", params)
        return from_wire_item(answer["Item"]) if "Item" in answer else None

    def put(
        self,
        item: Item,
        *,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Item | None = None,
    ) -> None:
        """``PutItem``; a false ``condition`` raises ``AwsError`` (conditional check)."""
        params: dict[str, Any] = {"TableName": self._name, "Item": to_wire_item(item)}
        self._client.call("PutItem", self._conditioned(params, condition, names, values))

    def update(
        self,
        key: Item,
        expression: str,
        *,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Item | None = None,
    ) -> None:
        """``UpdateItem`` with an update expression."""
        params: dict[str, Any] = {
            "TableName": self._name,
            "Key": to_wire_item(key),
            "UpdateExpression": expression,
        }
        self._client.call("UpdateItem", self._conditioned(params, condition, names, values))

    @staticmethod
    def _conditioned(
        params: dict[str, Any],
        condition: str | None,
        names: Mapping[str, str] | None,
        values: Item | None,
    ) -> dict[str, Any]:
        if condition:
            params["ConditionExpression"] = condition
        if values:
            params["ExpressionAttributeValues"] = to_wire_item(values)
        return _with_names(params, names)

    def delete(self, key: Item) -> Item | None:
        """``DeleteItem``; the deleted item, ``None`` when there was none."""
        params = {"TableName": self._name, "Key": to_wire_item(key), "ReturnValues": "ALL_OLD"}
        answer = self._client.call("DeleteItem", params)
        return from_wire_item(answer["Attributes"]) if answer.get("Attributes") else None

    def query(
        self,
        key_condition: str,
        *,
        names: Mapping[str, str],
        values: Item,
        index: str | None = None,
        projection: Sequence[str] = (),
        limit: int | None = None,
        forward: bool = True,
        start_key: Item | None = None,
        consistent: bool = False,
    ) -> QueryPage:
        """One ``Query`` page (strongly consistent with ``consistent``)."""
        params: dict[str, Any] = {
            "TableName": self._name,
            "KeyConditionExpression": key_condition,
            "ExpressionAttributeValues": to_wire_item(values),
            "ScanIndexForward": forward,
            "ConsistentRead": consistent,
            **_projection(projection),
        }
        _with_names(params, names)
        if index is not None:
            params["IndexName"] = index
        if limit is not None:
            params["Limit"] = limit
        if start_key is not None:
            params["ExclusiveStartKey"] = to_wire_item(start_key)
        answer = self._client.call("Query", params)
        last_key = answer.get("LastEvaluatedKey")
        return QueryPage(
            items=[from_wire_item(item) for item in answer.get("Items", ())],
            last_key=from_wire_item(last_key) if last_key else None,
            scanned_count=int(answer.get("ScannedCount", 0)),
        )

    def batch_get(
        self, keys: Sequence[Item], *, consistent: bool = False, projection: Sequence[str] = ()
    ) -> list[Item]:
        """``BatchGetItem`` of ``keys`` (any number): the items found, in no set order."""
        found: list[Item] = []
        for start in range(0, len(keys), BATCH_GET_LIMIT):
            request: dict[str, Any] = {
                "Keys": [to_wire_item(key) for key in keys[start : start + BATCH_GET_LIMIT]],
                "ConsistentRead": consistent,
                **_projection(projection),
            }
            for round_number in range(1, BATCH_ROUNDS + 1):
                if round_number > 1:
                    self._client.pause(round_number - 1)
                answer = self._client.call("BatchGetItem", {"RequestItems": {self._name: request}})
                found.extend(
                    from_wire_item(item) for item in answer.get("Responses", {}).get(self._name, ())
                )
                left = (answer.get("UnprocessedKeys") or {}).get(self._name)
                if not left or not left.get("Keys"):
                    break
                request = left
            else:
                raise AwsError(UNPROCESSED, 200, f"keys of {self._name} left unprocessed")
        return found

    def batch_write(self, puts: Iterable[Item] = (), deletes: Iterable[Item] = ()) -> None:
        """``BatchWriteItem`` (any number of requests): put ``puts`` and delete the items of the
        keys ``deletes``. Unprocessed requests are sent again after a jittered pause."""
        requests: list[dict[str, Any]] = [
            {"PutRequest": {"Item": to_wire_item(item)}} for item in puts
        ]
        requests.extend({"DeleteRequest": {"Key": to_wire_item(key)}} for key in deletes)
        for start in range(0, len(requests), BATCH_WRITE_LIMIT):
            pending = requests[start : start + BATCH_WRITE_LIMIT]
            for round_number in range(1, BATCH_ROUNDS + 1):
                if round_number > 1:
                    self._client.pause(round_number - 1)
                answer = self._client.call(
                    "BatchWriteItem", {"RequestItems": {self._name: pending}}
                )
                pending = (answer.get("UnprocessedItems") or {}).get(self._name) or []
                if not pending:
                    break
            else:
                raise AwsError(UNPROCESSED, 200, f"items of {self._name} left unprocessed")
