"""A speed-up of moto for the local stack's moto process, equivalent to what it replaces.

moto's DynamoDB ``Table.all_items`` (5.2.5) sorts the whole table on every ``Query`` and
``Scan``, keyed by ``DynamoType`` objects whose comparisons run in Python: about 25 ms for the
1,000 connection rows of ``benchmarks/local_fanout_latency.py``, twice per event, the largest
share of moto's CPU under load. :func:`install` replaces it with a sort keyed by the keys'
``cast_value``, the very values ``DynamoType`` compares (a table's key attributes have one type
each), which gives the same order in about 2 ms. It is installed only in the child process that
serves moto for ``alexho-local up``, and only on the moto release it was checked against
(:data:`CHECKED_MOTO_VERSION`; ``tests/local/test_moto_speedups.py`` compares both orders):
on any other release moto runs unchanged.
"""

from __future__ import annotations

from typing import Any, Final

import moto
from moto.dynamodb.models.table import Table

#: The moto release whose ``Table.all_items`` the replacement was checked against.
CHECKED_MOTO_VERSION: Final = "5.2.5"
_INSTALLED: Final = "_alexho_sorted_by_cast_value"


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


def install() -> bool:
    """Replace ``Table.all_items`` on :data:`CHECKED_MOTO_VERSION`; whether it is in place."""
    if getattr(Table.all_items, _INSTALLED, False):
        return True
    if moto.__version__ != CHECKED_MOTO_VERSION:
        return False
    setattr(all_items_sorted_by_cast_value, _INSTALLED, True)
    Table.all_items = all_items_sorted_by_cast_value  # type: ignore[method-assign, assignment]
    return True
