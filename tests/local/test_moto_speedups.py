"""The local stack's moto speed-up: the same order as moto's own ``Table.all_items``, on the
tables the stack creates and on key types they do not use."""

from __future__ import annotations

import base64
import copy
import os
import pickle
import random
from collections.abc import Callable, Iterator
from typing import Any, Final

import boto3
import pytest
from moto import backends, mock_aws
from moto.core import responses
from moto.core.serialize import BaseJSONSerializer, XFormedAttributePicker, get_serializer_class
from moto.core.utils import get_service_model
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler

from alexho_invoice_local.aws import moto_speedups
from alexho_invoice_local.aws.moto_speedups import (
    all_items_sorted_by_cast_value,
    query_one_partition,
    serialize_attribute_value,
    table_with_sorted_partitions,
)
from alexho_invoice_local.aws.sorted_partition import SortedPartition
from alexho_invoice_runtime.auth.identity import Identity
from alexho_invoice_runtime.connections import Connection
from alexho_invoice_runtime.definitions import (
    ADMIN,
    CUSTOMER,
    connections_table_definition,
    event_log_table_definition,
)

REGION = "eu-west-1"
MOTOS_ALL_ITEMS = Table.all_items
MOTOS_QUERY = Table.query
MOTOS_TABLE_INIT = Table.__init__
MOTOS_MODULES = backends.list_of_moto_modules
MOTOS_METHOD_NAMES = responses.method_names_from_class  # type: ignore[attr-defined]
MOTOS_JSON_STRUCTURE = BaseJSONSerializer._serialize_type_structure


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto in process; the tables it creates keep their partitions as the local stack's do."""
    monkeypatch.setattr(Table, "__init__", table_with_sorted_partitions)
    with mock_aws():
        yield boto3.client("dynamodb", region_name=REGION)


def moto_table(name: str) -> Table:
    """moto's own model of table ``name``."""
    table: Table = dynamodb_backends["123456789012"][REGION].get_table(name)
    return table


def test_connection_rows_come_in_motos_order(dynamodb: Any) -> None:
    # GIVEN 500 connection rows with random ids, as the gateway mints them
    dynamodb.create_table(**connections_table_definition("connections"))
    table = boto3.resource("dynamodb", region_name=REGION).Table("connections")
    with table.batch_writer() as batch:
        for n in range(500):
            connection_id = base64.b64encode(os.urandom(11)).decode()
            identity = (
                Identity.create(f"admin-{n}", ADMIN, None)
                if n % 10 == 0
                else Identity.create(f"user-{n}", CUSTOMER, f"cust-{n % 7}")
            )
            row = Connection(
                connection_id, identity, n, n + 1, token_expires_at=n, token_issued_at=n
            )
            batch.put_item(Item=row.to_item())
    # WHEN all items are listed by moto's method and by the replacement
    # THEN both give the same items in the same order
    table_model = moto_table("connections")
    assert all_items_sorted_by_cast_value(table_model) == MOTOS_ALL_ITEMS(table_model)


def test_event_log_entries_with_sort_keys_come_in_motos_order(dynamodb: Any) -> None:
    # GIVEN event-log entries of several audiences (partition and sort keys)
    dynamodb.create_table(**event_log_table_definition("event-log"))
    for n in random.sample(range(300), 300):
        dynamodb.put_item(
            TableName="event-log",
            Item={"audience": {"S": f"CUSTOMER#cust-{n % 5}"}, "cursor": {"S": f"{n:013d}.x"}},
        )
    # THEN both methods list them in the same order
    table_model = moto_table("event-log")
    assert all_items_sorted_by_cast_value(table_model) == MOTOS_ALL_ITEMS(table_model)


@pytest.mark.parametrize("key_type", ["N", "B"])
def test_number_and_binary_keys_come_in_motos_order(dynamodb: Any, key_type: str) -> None:
    # GIVEN a table keyed by numbers (negative and fractional ones too) or by bytes
    dynamodb.create_table(
        TableName="other",
        KeySchema=[
            {"AttributeName": "h", "KeyType": "HASH"},
            {"AttributeName": "r", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "h", "AttributeType": key_type},
            {"AttributeName": "r", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for _ in range(200):
        value: Any = str(random.uniform(-1e6, 1e6)) if key_type == "N" else os.urandom(4)
        dynamodb.put_item(
            TableName="other",
            Item={"h": {key_type: value}, "r": {"N": str(random.randint(-50, 50))}},
        )
    # THEN both methods list them in the same order
    table_model = moto_table("other")
    assert all_items_sorted_by_cast_value(table_model) == MOTOS_ALL_ITEMS(table_model)


QUERIES: list[dict[str, Any]] = [
    # resume of an audience from a cursor, as the $default handler asks, in pages of 7
    {
        "KeyConditionExpression": "audience = :a AND #c > :after",
        "ExpressionAttributeNames": {"#c": "cursor"},
        "ExpressionAttributeValues": {":a": {"S": "ADMIN"}, ":after": {"S": "0000000000100.x"}},
        "Limit": 7,
    },
    {
        "KeyConditionExpression": "audience = :a",
        "ExpressionAttributeValues": {":a": {"S": "CUSTOMER#cust-3"}},
        "ScanIndexForward": False,
    },
    {
        "KeyConditionExpression": "audience = :a AND begins_with(#c, :p)",
        "ExpressionAttributeNames": {"#c": "cursor"},
        "ExpressionAttributeValues": {":a": {"S": "ADMIN"}, ":p": {"S": "00000000001"}},
    },
    {
        "KeyConditionExpression": "audience = :a",
        "ExpressionAttributeValues": {":a": {"S": "CUSTOMER#nobody"}},
    },
    # a resume's window before its position: a page fills on the last match, entries follow
    {
        "KeyConditionExpression": "audience = :a AND #c BETWEEN :low AND :high",
        "ExpressionAttributeNames": {"#c": "cursor"},
        "ExpressionAttributeValues": {
            ":a": {"S": "ADMIN"},
            ":low": {"S": "0000000000101.x"},
            ":high": {"S": "0000000000120.x"},
        },
        "Limit": 5,
    },
    {
        "KeyConditionExpression": "audience = :a AND #c <= :high",
        "ExpressionAttributeNames": {"#c": "cursor"},
        "ExpressionAttributeValues": {":a": {"S": "ADMIN"}, ":high": {"S": "0000000000150.x"}},
        "ScanIndexForward": False,
        "Limit": 11,
    },
    {
        "KeyConditionExpression": "audience = :a AND #c >= :low",
        "ExpressionAttributeNames": {"#c": "cursor"},
        "ExpressionAttributeValues": {":a": {"S": "ADMIN"}, ":low": {"S": "0000000000999.x"}},
    },
]


def every_page(dynamodb: Any, query: dict[str, Any]) -> list[dict[str, Any]]:
    """Every page of ``query`` on the event log, the paging keys included."""
    pages, start = [], None
    while True:
        page = dynamodb.query(
            TableName="event-log", **query, **({"ExclusiveStartKey": start} if start else {})
        )
        page.pop("ResponseMetadata")
        pages.append(page)
        start = page.get("LastEvaluatedKey")
        if start is None:
            return pages


@pytest.mark.parametrize(
    "query",
    QUERIES,
    ids=[
        "after-paged",
        "backwards",
        "prefix",
        "empty",
        "window-paged",
        "at-most-backwards-paged",
        "no-match",
    ],
)
def test_a_query_of_one_partition_answers_as_motos_own(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch, query: dict[str, Any]
) -> None:
    # GIVEN an event log with entries of several audiences and a marker partition per event
    dynamodb.create_table(**event_log_table_definition("event-log"))
    for n in random.sample(range(300), 300):
        audience = "ADMIN" if n % 2 else f"CUSTOMER#cust-{n % 5}"
        for partition in (audience, f"#MARKER#{n}"):
            dynamodb.put_item(
                TableName="event-log",
                Item={"audience": {"S": partition}, "cursor": {"S": f"{n:013d}.x"}},
            )
    # WHEN the same query is answered by moto's method and by the one-partition walk
    motos = every_page(dynamodb, query)
    monkeypatch.setattr(Table, "query", query_one_partition)
    walked = every_page(dynamodb, query)
    # THEN every page is the same, and the table is as it was
    assert walked == motos
    assert "all_items" not in vars(moto_table("event-log"))


def answers_of_both(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, Any]]:
    """Every query of :data:`QUERIES`, answered by moto's own method and by the walk."""
    answers = []
    for query in QUERIES:
        monkeypatch.setattr(Table, "query", MOTOS_QUERY)
        motos = every_page(dynamodb, query)
        monkeypatch.setattr(Table, "query", query_one_partition)
        answers.append((motos, every_page(dynamodb, query)))
    return answers


def put_entry(dynamodb: Any, audience: str, n: int, text: str = "") -> None:
    dynamodb.put_item(
        TableName="event-log",
        Item={"audience": {"S": audience}, "cursor": {"S": f"{n:013d}.x"}, "t": {"S": text}},
    )


def test_queries_answer_as_motos_own_while_the_partitions_change(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an event log whose partitions have been queried (their order is built)
    dynamodb.create_table(**event_log_table_definition("event-log"))
    rng = random.Random(18)
    for n in rng.sample(range(200), 120):
        put_entry(dynamodb, "ADMIN" if n % 2 else f"CUSTOMER#cust-{n % 5}", n)
    assert all(motos == walked for motos, walked in answers_of_both(dynamodb, monkeypatch))
    for _ in range(6):
        # WHEN entries are added at the end and out of order, overwritten and deleted singly,
        # in batches and by a transaction that fails (moto puts back a copy of the table)
        for n in [*rng.sample(range(200), 15), *range(1000, 1005)]:
            put_entry(dynamodb, "ADMIN", n, text=str(rng.random()))
        deleted = rng.sample(range(200), 10)
        dynamodb.delete_item(
            TableName="event-log",
            Key={"audience": {"S": "ADMIN"}, "cursor": {"S": f"{deleted[0]:013d}.x"}},
        )
        dynamodb.batch_write_item(
            RequestItems={
                "event-log": [
                    {
                        "DeleteRequest": {
                            "Key": {"audience": {"S": "ADMIN"}, "cursor": {"S": f"{n:013d}.x"}}
                        }
                    }
                    for n in deleted[1:]
                ]
            }
        )
        with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
            dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": "event-log",
                            "Item": {
                                "audience": {"S": "ADMIN"},
                                "cursor": {"S": "0000000000150.y"},
                            },
                        }
                    },
                    {
                        "ConditionCheck": {
                            "TableName": "event-log",
                            "Key": {"audience": {"S": "ADMIN"}, "cursor": {"S": "missing"}},
                            "ConditionExpression": "attribute_exists(audience)",
                        }
                    },
                ]
            )
        # THEN every query still answers as moto's own
        for motos, walked in answers_of_both(dynamodb, monkeypatch):
            assert walked == motos


def cast_keys(values: list[int]) -> list[DynamoType]:
    return [DynamoType({"S": f"{value:05d}"}) for value in values]


def in_order(partition: SortedPartition) -> list[Any]:
    """Every item of ``partition`` from its kept order."""
    return partition.ordered_from("<", ["99999"], lambda value, bound: value < bound, forward=True)


def test_a_partition_keeps_its_keys_in_order_through_motos_writes() -> None:
    # GIVEN a queried partition
    rng = random.Random(7)
    keys = cast_keys(rng.sample(range(500), 50))
    partition = SortedPartition({key: f"item {key.value}" for key in keys})
    in_order(partition)

    def put_keys() -> None:  # new keys, in order and not, and overwrites
        for key in cast_keys([*rng.sample(range(500), 40), *range(600, 620)]):
            partition[key] = f"new {key.value}"

    def delete_keys() -> None:
        for key in list(partition)[::3]:
            del partition[key]

    def pop_keys() -> None:
        for key in list(partition)[::5]:
            partition.pop(key)

    writes = [put_keys, delete_keys, pop_keys]
    for write in writes:
        # WHEN moto writes to it
        write()
        # THEN it lists its items as a partition sorted afresh does
        assert in_order(partition) == [
            partition[key] for key in sorted(partition, key=lambda key: key.value)
        ]


COMPARISONS: dict[str, tuple[Callable[..., bool], list[str]]] = {
    ">": (lambda value, bound: value > bound, ["00250"]),
    ">=": (lambda value, bound: value >= bound, ["00250"]),
    "=": (lambda value, bound: value == bound, ["00251"]),
    "<": (lambda value, bound: value < bound, ["00250"]),
    "<=": (lambda value, bound: value <= bound, ["00250"]),
    "BETWEEN": (lambda value, low, high: low <= value <= high, ["00100", "00300"]),
    "BEGINS_WITH": (lambda value, prefix: value.startswith(prefix), ["002"]),
}


@pytest.mark.parametrize("forward", [True, False], ids=["forward", "backward"])
@pytest.mark.parametrize("comparison", list(COMPARISONS))
def test_the_first_match_found_by_bisection_is_the_first_in_a_walk(
    comparison: str, forward: bool
) -> None:
    # GIVEN a partition of 300 of the first 500 keys
    keys = cast_keys(random.Random(3).sample(range(500), 300))
    partition = SortedPartition({key: key.value for key in keys})
    matches, bounds = COMPARISONS[comparison]
    # WHEN the items from the first match on are taken
    taken = partition.ordered_from(comparison, bounds, matches, forward=forward)
    # THEN they are those of a walk of the sorted keys from its first match on
    walk = sorted((key.value for key in keys), reverse=not forward)
    first = next((n for n, value in enumerate(walk) if matches(value, *bounds)), len(walk))
    assert taken == walk[first:]


def test_a_copy_of_a_partition_has_its_items_and_an_order_of_its_own() -> None:
    # GIVEN a queried partition
    partition = SortedPartition({key: [key.value] for key in cast_keys([5, 1, 3])})
    everything = (">=", ["00000"], lambda value, bound: value >= bound)
    partition.ordered_from(*everything, forward=True)
    # WHEN it is copied (deeply, as moto does for a transaction, shallowly, and pickled)
    copies = [copy.deepcopy(partition), copy.copy(partition), pickle.loads(pickle.dumps(partition))]
    for key in cast_keys([0, 9]):
        partition[key] = [key.value]
    # THEN each copy has the items it had, and answers from its own
    for copied in copies:
        assert type(copied) is SortedPartition
        assert copied.ordered_from(*everything, forward=True) == [["00001"], ["00003"], ["00005"]]


def test_it_is_installed_on_the_moto_release_it_was_checked_against() -> None:
    # A new moto release turns the speed-ups off until they are checked again (this test fails).
    try:
        assert moto_speedups.install()
        assert Table.all_items is all_items_sorted_by_cast_value
        assert Table.query is query_one_partition  # type: ignore[comparison-overlap]
        assert Table.__init__ is table_with_sorted_partitions
        assert backends.list_of_moto_modules is moto_speedups.moto_modules
        assert responses.method_names_from_class is moto_speedups.method_names_from_class  # type: ignore[attr-defined]
        assert BaseJSONSerializer._serialize_type_structure is serialize_attribute_value
    finally:
        Table.all_items = MOTOS_ALL_ITEMS  # type: ignore[method-assign]
        Table.query = MOTOS_QUERY  # type: ignore[method-assign]
        Table.__init__ = MOTOS_TABLE_INIT  # type: ignore[method-assign]
        backends.list_of_moto_modules = MOTOS_MODULES
        responses.method_names_from_class = MOTOS_METHOD_NAMES  # type: ignore[attr-defined]
        BaseJSONSerializer._serialize_type_structure = MOTOS_JSON_STRUCTURE  # type: ignore[method-assign]


def test_the_service_modules_are_those_moto_lists() -> None:
    # WHEN the server asks which services moto has THEN it gets what moto's own listing says
    assert moto_speedups.moto_modules() == tuple(MOTOS_MODULES())
    assert "dynamodb" in moto_speedups.moto_modules()


def test_a_response_class_lists_the_methods_moto_lists_a_new_list_each_time() -> None:
    # WHEN a response class's methods are listed twice
    first = moto_speedups.method_names_from_class(DynamoHandler)
    first.append("not_an_action")
    second = moto_speedups.method_names_from_class(DynamoHandler)
    # THEN each time they are moto's own, whatever a caller did to an earlier list
    assert second == MOTOS_METHOD_NAMES(DynamoHandler)
    assert "get_item" in second


#: One attribute of every type, empty ones and nested ones among them.
EVERY_TYPE: Final = {
    "text": {"S": "héllo"},
    "empty": {"S": ""},
    "number": {"N": "-12.50"},
    "blob": {"B": b"\x00\xffbytes"},
    "texts": {"SS": ["a", "b"]},
    "numbers": {"NS": ["1", "2.5"]},
    "blobs": {"BS": [b"\x01", b"\x02"]},
    "null": {"NULL": True},
    "yes": {"BOOL": True},
    "no": {"BOOL": False},
    "list": {"L": [{"S": "x"}, {"N": "3"}, {"B": b"\x03"}, {"L": []}, {"M": {}}, {"NULL": True}]},
    "map": {
        "M": {
            "inner": {"M": {"deep": {"L": [{"BOOL": False}, {"SS": ["z"]}]}}},
            "blob": {"B": b"\x04"},
            "numbers": {"NS": ["7"]},
        }
    },
}


def raw_answers(dynamodb: Any) -> list[bytes]:
    """The raw bodies moto answers to every operation that returns items, on
    :data:`EVERY_TYPE`."""
    dynamodb.create_table(**event_log_table_definition("event-log"))
    bodies: list[bytes] = []
    dynamodb.meta.events.register(
        "response-received.dynamodb.*",
        lambda response_dict, **_: bodies.append(response_dict["body"]),
    )
    key = {"audience": {"S": "ADMIN"}, "cursor": {"S": "1"}}
    dynamodb.put_item(TableName="event-log", Item={**key, **EVERY_TYPE})
    dynamodb.put_item(TableName="event-log", Item={**key, **EVERY_TYPE}, ReturnValues="ALL_OLD")
    dynamodb.get_item(TableName="event-log", Key=key)
    dynamodb.get_item(
        TableName="event-log",
        Key=key,
        ProjectionExpression="#m.inner, blobs, texts",
        ExpressionAttributeNames={"#m": "map"},
    )
    dynamodb.query(
        TableName="event-log",
        KeyConditionExpression="audience = :a",
        ExpressionAttributeValues={":a": {"S": "ADMIN"}},
    )
    dynamodb.scan(TableName="event-log")
    dynamodb.batch_get_item(RequestItems={"event-log": {"Keys": [key]}})
    dynamodb.update_item(
        TableName="event-log",
        Key=key,
        UpdateExpression="SET extra = :e",
        ExpressionAttributeValues={":e": {"M": {"b": {"B": b"\x05"}}}},
        ReturnValues="ALL_NEW",
    )
    dynamodb.delete_item(TableName="event-log", Key=key, ReturnValues="ALL_OLD")
    return bodies


def test_items_of_every_attribute_type_are_answered_as_moto_answers_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN the bodies moto's own serializer answers for items of every attribute type
    with mock_aws():
        motos = raw_answers(boto3.client("dynamodb", region_name=REGION))
    # WHEN the same requests are answered with attribute values taken by name
    monkeypatch.setattr(BaseJSONSerializer, "_serialize_type_structure", serialize_attribute_value)
    with mock_aws():
        ours = raw_answers(boto3.client("dynamodb", region_name=REGION))
    # THEN every body is the same, byte for byte
    assert len(ours) == len(motos) == 9
    assert ours == motos
    assert b'"blob": {"B"' in motos[2]
    assert b'"NULL": true' in motos[2]


def dynamodb_serializer() -> Any:
    """moto's serializer of a ``GetItem`` answer, with the attribute picker its responses use."""
    operation = get_service_model("dynamodb").operation_model("GetItem")
    serializer_class = get_serializer_class("dynamodb", "json")
    return serializer_class(operation_model=operation, value_picker=XFormedAttributePicker())


def test_an_attribute_value_keyed_otherwise_is_left_to_moto(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN an item whose values are plain dicts of member names, but for two keyed by the
    # snake-case aliases moto's picker also reads
    item = {"Item": {"plain": {"S": "x"}, "aliased": {"s": "y"}, "map": {"M": {"in": {"bool": 1}}}}}
    motos = dynamodb_serializer().serialize(copy.deepcopy(item))["body"]
    # WHEN it is serialized with attribute values taken by name
    handed_over: list[str] = []

    def recorded(serializer: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        handed_over.append(key)
        MOTOS_JSON_STRUCTURE(serializer, serialized, value, shape, key)

    monkeypatch.setattr(moto_speedups, "_MOTOS_JSON_STRUCTURE", recorded)
    monkeypatch.setattr(BaseJSONSerializer, "_serialize_type_structure", serialize_attribute_value)
    ours = dynamodb_serializer().serialize(copy.deepcopy(item))["body"]
    # THEN the body is moto's, and only the aliased values (and the answer) went to moto's own
    assert ours == motos
    assert '"aliased": {"S": "y"}' in motos
    assert handed_over == ["", "aliased", "in"]
