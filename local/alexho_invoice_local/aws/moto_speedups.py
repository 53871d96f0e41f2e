"""Speed-ups of moto for the local stack's moto process, equivalent to what they replace.

moto's DynamoDB ``Table.all_items`` (5.2.5) sorts the whole table on every ``Query`` and
``Scan``, keyed by ``DynamoType`` objects whose comparisons run in Python: about 25 ms for the
1,000 connection rows of ``benchmarks/local_fanout_latency.py``, twice per event, the largest
share of moto's CPU under load. :func:`install` replaces it with a sort keyed by the keys'
``cast_value``, the very values ``DynamoType`` compares (a table's key attributes have one type
each), which gives the same order in about 2 ms.

A ``Query`` of a table (not of an index) then still walks every item of the table, sorted, to
keep those of one partition: each ``resume`` walks the whole event log (an entry per audience
and a marker per event), and in the soak moto's CPU grew with the log to a whole core.
:func:`install` also makes such a query walk its partition only (:func:`query_one_partition`),
in the same order, and leaves out the items that come before its first match on the sort key
(:func:`first_matches`). It makes each table keep each of its partitions
as a :class:`~alexho_invoice_local.aws.sorted_partition.SortedPartition`
(:func:`table_with_sorted_partitions`); these keep their sort keys in order as they are
written, so that a query finds its first match by bisection: a resume's query of the admins'
partition, after a cursor near its end, no longer sorts the window's 1,200 entries (a third of
moto's time per resume, measured with ``py-spy``). All are installed only in the child process
that serves moto for ``alexho-local up``, and only on the moto release they were checked
against (:data:`CHECKED_MOTO_VERSION`; ``tests/local/test_moto_speedups.py`` compares the
results): on any other release moto runs unchanged.

Every answer that holds items paid for moto's attribute picker on each member of each
``AttributeValue`` (ten members, each looked up under its aliases before its own name): a
fifth of moto's CPU over a mix of ``GetItem``, ``PutItem`` and ``DeleteItem`` in a profile, half
of a ``GetItem``'s (0.77 → 0.38 ms of CPU in process once taken by name).
:func:`serialize_attribute_value` takes the members of an ``AttributeValue`` that is a plain
dict of member names (what moto's items give) by name; anything else goes to moto's own.

Every request also paid for two lookups that never change while the server runs: moto's server
lists its package directory (``os.listdir`` and an ``isdir`` per entry, about 150) to tell
whether the request names a service, and each response class lists its methods with
``inspect.getmembers``. A profile of the soak's moto process found a sixth of its samples in
them. :func:`install` makes both lists once per process (:func:`moto_modules`,
:func:`method_names_from_class`).
"""

from __future__ import annotations

import functools
import inspect
from collections import defaultdict
from typing import Any, Final

import moto
from moto import backends
from moto.core import responses
from moto.core import utils as moto_utils
from moto.core.serialize import BaseJSONSerializer
from moto.dynamodb.comparisons import get_comparison_func
from moto.dynamodb.models.table import Table

from alexho_invoice_local.aws.sorted_partition import SortedPartition

#: The moto release whose ``Table.all_items`` the replacement was checked against.
CHECKED_MOTO_VERSION: Final = "5.2.5"
_INSTALLED: Final = "_alexho_sorted_by_cast_value"
_MOTOS_QUERY: Final = Table.query
_MOTOS_TABLE_INIT: Final = Table.__init__
_QUERY_SIGNATURE: Final = inspect.signature(Table.query)
_MOTOS_MODULES: Final = backends.list_of_moto_modules
_MOTOS_METHOD_NAMES: Final = moto_utils.method_names_from_class
_MOTOS_JSON_STRUCTURE: Final = BaseJSONSerializer._serialize_type_structure
_ATTRIBUTE_VALUE: Final = "AttributeValue"


def all_items_sorted_by_cast_value(table: Table) -> list[Any]:
    """The items of ``table`` in ``Table.all_items``'s order, sorted on plain values."""
    items: list[Any] = []
    for hash_set in table.items.values():
        if table.range_key_attr:
            items.extend(hash_set.values())
        else:
            items.append(hash_set)
    return sorted(
        items,
        key=lambda item: (
            (item.hash_key.cast_value, item.range_key.cast_value)
            if item.range_key
            else item.hash_key.cast_value
        ),
    )


def first_matches(table: Table, partition: SortedPartition, query: dict[str, Any]) -> list[Any]:
    """The items of one partition, sorted in ``query``'s direction, from the first that meets
    its sort-key condition on (all of them, unsorted, when it has none we can read).

    moto's walk appends nothing, and stops at no limit, before its first match (an item has at
    most 400 KB), so leaving those items out changes no page, ``Count`` or paging key; the
    items after it stay, since moto's ``Limit`` check looks at the next item, matching or not.
    """
    comparison = query.get("range_comparison")
    compare = get_comparison_func(comparison) if comparison else None
    conditions = query.get("range_key_conditions") or [(table.range_key_attr,)]
    if compare is None or query.get("filter_kwargs") or conditions[-1][0] != table.range_key_attr:
        return list(partition.values())
    return partition.ordered_from(
        str(comparison),
        [value.cast_value for value in query["range_objs"]],
        compare,
        forward=query["scan_index_forward"] is not False,
    )


def query_one_partition(table: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
    """moto's ``Table.query``, walking only the items of ``hash_key``'s partition, from its
    first match on the sort key (:func:`first_matches`), when it queries the table itself
    (an index's query walks the table, as moto's does). moto keeps the items of a table with a
    sort key by partition, and keeps those whose key equals ``hash_key``: the same items, in
    the same order once sorted."""
    query = _QUERY_SIGNATURE.bind(table, hash_key, *args, **kwargs).arguments
    if query.get("index_name") or not table.range_key_attr or hash_key is None:
        return _MOTOS_QUERY(table, hash_key, *args, **kwargs)
    partition = table.items.get(hash_key)
    if partition is not None and not isinstance(partition, SortedPartition):
        partition = SortedPartition(partition)
    members = [] if partition is None else first_matches(table, partition, query)
    table.all_items = lambda: members  # type: ignore[method-assign]
    try:
        return _MOTOS_QUERY(table, hash_key, *args, **kwargs)
    finally:
        del table.all_items


def table_with_sorted_partitions(table: Table, *args: Any, **kwargs: Any) -> None:
    """moto's ``Table.__init__``; each partition the table then makes is a
    :class:`SortedPartition`."""
    _MOTOS_TABLE_INIT(table, *args, **kwargs)
    table.items = defaultdict(SortedPartition)


def serialize_attribute_value(
    serializer: BaseJSONSerializer, serialized: Any, value: Any, shape: Any, key: str
) -> None:
    """moto's JSON serialization of a structure. An ``AttributeValue`` given as a plain dict
    whose keys are all member names takes each member by its name: the alias names moto's
    picker tries first (the member's shape name, snake case) cannot be among those keys, so it
    would pick the same values. Every other structure, and every value inside, is moto's."""
    if (
        shape.name != _ATTRIBUTE_VALUE
        or not key
        or type(value) is not dict
        or not value.keys() <= shape.members.keys()
    ):
        _MOTOS_JSON_STRUCTURE(serializer, serialized, value, shape, key)
        return
    wrapper: dict[str, Any] = serializer.MAP_TYPE()
    for member_key, member_shape in shape.members.items():
        member_shape.parent = shape
        member_value = value.get(member_key)
        if member_value is not None:
            serializer._serialize(wrapper, member_value, member_shape, member_key)
    serializer._default_serialize(serialized, wrapper, shape, key)


@functools.cache
def moto_modules() -> tuple[str, ...]:
    """moto's service modules, as ``backends.list_of_moto_modules`` lists them, read once."""
    return tuple(_MOTOS_MODULES())


@functools.cache
def _method_names(clazz: object) -> tuple[str, ...]:
    return tuple(_MOTOS_METHOD_NAMES(clazz))


def method_names_from_class(clazz: object) -> list[str]:
    """moto's ``method_names_from_class``, listed once per class (a new list each call)."""
    return list(_method_names(clazz))


def install() -> bool:
    """Replace ``Table.all_items``, ``Table.query``, ``Table.__init__``, the two per-request
    listings and the serialization of attribute values on :data:`CHECKED_MOTO_VERSION`;
    whether they are in place."""
    if getattr(Table.all_items, _INSTALLED, False):
        return True
    if moto.__version__ != CHECKED_MOTO_VERSION:
        return False
    setattr(all_items_sorted_by_cast_value, _INSTALLED, True)
    Table.all_items = all_items_sorted_by_cast_value  # type: ignore[method-assign, assignment]
    Table.query = query_one_partition  # type: ignore[method-assign, assignment]
    Table.__init__ = table_with_sorted_partitions  # type: ignore[method-assign, assignment]
    backends.list_of_moto_modules = moto_modules
    responses.method_names_from_class = method_names_from_class  # type: ignore[attr-defined]
    BaseJSONSerializer._serialize_type_structure = serialize_attribute_value  # type: ignore[method-assign, assignment]
    return True
