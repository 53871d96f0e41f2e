"""A partition of a moto table with a sort key that keeps its sort keys in order.

moto keeps the items of such a table as ``table.items[hash key][sort key] = item``: a ``dict``
per partition, in no order, so each ``Query`` sorts its partition whole before walking it. The
event log's admin partition holds an entry per event of the resume window (1,200 in the soak),
and each resume sorted it twice, keyed by ``DynamoType.cast_value`` in Python: at 1,300 entries
a third of moto's time per resume, and a cost that grows as the log fills.

:class:`SortedPartition` is that ``dict`` with, once it has been queried, its sort keys' plain
values in order beside it, kept in order by every write (an event's entry comes last, an
expired one leaves first, so a write is an append or a delete at the front), so that a query
finds where its matches start by bisection (:meth:`SortedPartition.ordered_from`).
"""

from __future__ import annotations

import bisect
import copy
from collections.abc import Callable, Sequence
from typing import Any, Final, Self

#: Where the first item that may meet a forward query's sort-key condition is, for conditions
#: whose matches all sort at or after their first bound (moto names them either way).
_FORWARD_STARTS: Final[dict[str, Callable[[list[Any], Any], int]]] = {
    ">": bisect.bisect_right,
    "GT": bisect.bisect_right,
    ">=": bisect.bisect_left,
    "GE": bisect.bisect_left,
    "=": bisect.bisect_left,
    "EQ": bisect.bisect_left,
    "BETWEEN": bisect.bisect_left,
    "BEGINS_WITH": bisect.bisect_left,
}


class SortedPartition(dict[Any, Any]):
    """moto's partition ``dict`` (sort key → item) with its keys in order once it is queried.

    The order is built on the first :meth:`ordered_from` and kept by ``partition[key] = item``,
    ``del partition[key]`` and ``partition.pop(key)``, the writes moto makes; any other change
    drops it, to be built again. A copy (moto deep-copies a table for a transaction's rollback)
    starts without one.
    """

    #: The sort keys (``DynamoType``) in order, and their ``cast_value``s; ``None`` until built.
    _keys: list[Any] | None = None
    _values: list[Any] | None = None

    def ordered_from(
        self,
        comparison: str,
        bounds: Sequence[Any],
        matches: Callable[..., bool],
        *,
        forward: bool,
    ) -> list[Any]:
        """The items in the query's order (``forward`` or not) from the first whose sort key
        ``matches`` the ``comparison``'s plain ``bounds`` on; ``[]`` when none does."""
        keys, values = self._ordered()
        if forward:
            start = _FORWARD_STARTS.get(comparison)
            first = start(values, bounds[0]) if start and _comparable(values, bounds) else 0
            positions: range = range(first, len(values))
        else:
            positions = range(len(values) - 1, -1, -1)
        for taken, position in enumerate(positions):
            if matches(values[position], *bounds):
                return [self[keys[index]] for index in positions[taken:]]
        return []

    def _ordered(self) -> tuple[list[Any], list[Any]]:
        if self._keys is None or self._values is None:
            pairs = sorted(((key.cast_value, key) for key in self), key=lambda pair: pair[0])
            self._values = [value for value, _ in pairs]
            self._keys = [key for _, key in pairs]
        return self._keys, self._values

    def __setitem__(self, key: Any, item: Any) -> None:
        if self._keys is not None and self._values is not None and key not in self:
            value = key.cast_value
            position = bisect.bisect_right(self._values, value)
            self._values.insert(position, value)
            self._keys.insert(position, key)
        super().__setitem__(key, item)

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        self._forget(key)

    def pop(self, key: Any, *default: Any) -> Any:
        """``dict.pop``, keeping the order."""
        present = key in self
        item = super().pop(key, *default)
        if present:
            self._forget(key)
        return item

    def _forget(self, key: Any) -> None:
        if self._keys is None or self._values is None:
            return
        value = key.cast_value
        low = bisect.bisect_left(self._values, value)
        high = bisect.bisect_right(self._values, value)
        for position in range(low, high):
            if self._keys[position] == key:
                del self._keys[position], self._values[position]
                return
        self._drop_order()

    def _drop_order(self) -> None:
        self._keys = self._values = None

    def clear(self) -> None:
        """``dict.clear``."""
        self._drop_order()
        super().clear()

    def popitem(self) -> tuple[Any, Any]:
        """``dict.popitem``."""
        self._drop_order()
        return super().popitem()

    def setdefault(self, key: Any, default: Any = None) -> Any:
        """``dict.setdefault``."""
        self._drop_order()
        return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        """``dict.update``."""
        self._drop_order()
        super().update(*args, **kwargs)

    def __ior__(self, other: Any) -> Self:  # type: ignore[misc]  # dict's |= takes any mapping
        self._drop_order()
        super().__ior__(other)
        return self

    def __reduce__(self) -> tuple[type[SortedPartition], tuple[dict[Any, Any]]]:
        return SortedPartition, (dict(self),)

    def __deepcopy__(self, memo: dict[int, Any]) -> SortedPartition:
        copied = SortedPartition()
        memo[id(self)] = copied
        for key, item in self.items():
            dict.__setitem__(copied, copy.deepcopy(key, memo), copy.deepcopy(item, memo))
        return copied


def _comparable(values: list[Any], bounds: Sequence[Any]) -> bool:
    """Whether the bounds have the keys' type, so that bisection compares like with like."""
    return not values or all(type(bound) is type(values[0]) for bound in bounds)
