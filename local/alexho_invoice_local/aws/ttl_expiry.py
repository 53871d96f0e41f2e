"""DynamoDB's Time to Live, which moto does not implement, run inside moto's own process.

Every ``interval`` seconds, each table whose TTL is enabled (as ``alexho-local up`` enables it on
its three tables) loses the items whose TTL attribute, a number of epoch seconds, is in the
past; an item without it, or with another type, stays, as on AWS. DynamoDB deletes them
within days; the runtime never relies on the deletion, it filters expired entries itself. It
keeps the local tables, and moto's cost per request, from growing during long sessions.

It reads moto's tables directly while it holds :data:`DYNAMODB_LOCK` (moto serves DynamoDB
requests one at a time under it): a pass over a full event log (≈ 4,000 items at the soak's
load) holds moto for a few milliseconds a minute. The sweep it replaces read the tables with
``Scan``: moto sorted, copied and measured every item it read, and a full log's pages held moto
for 20 to 75 ms each, 20 of them a minute, which the runtime's requests waited behind.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table

from alexho_invoice_local.aws.fifo_lock import FifoLock
from alexho_invoice_local.periodic import Periodic

#: Held by moto's server while it serves a DynamoDB request, and by each expiry pass; granted
#: in the order asked for.
DYNAMODB_LOCK: Final = FifoLock()
#: How often a stack's expiry runs unless told otherwise.
EXPIRY_SECONDS: Final = 60.0


def tables_with_ttl() -> Iterator[tuple[Table, str]]:
    """Every table of every account and region with TTL enabled, with its TTL attribute."""
    for regions in list(dynamodb_backends.values()):
        for backend in list(regions.values()):
            for table in list(backend.tables.values()):
                ttl = table.ttl
                if ttl.get("TimeToLiveStatus") == "ENABLED" and ttl.get("AttributeName"):
                    yield table, str(ttl["AttributeName"])


def _expires_before(item: Any, attribute: str, cutoff: Decimal) -> bool:
    value = item.attrs.get(attribute)
    if value is None or value.type != "N":
        return False
    try:
        return Decimal(value.value) < cutoff
    except InvalidOperation:
        return False


def _items(table: Table) -> list[Any]:
    if table.range_key_attr:
        return [item for partition in table.items.values() for item in partition.values()]
    return list(table.items.values())


def expire_items(now: float | None = None) -> int:
    """Delete every item whose TTL attribute is before ``now`` (epoch seconds; the current
    time by default) from the tables with TTL enabled; returns how many."""
    cutoff = Decimal(int(time.time() if now is None else now))
    deleted = 0
    for table, attribute in tables_with_ttl():
        with DYNAMODB_LOCK:
            expired = [item for item in _items(table) if _expires_before(item, attribute, cutoff)]
            for item in expired:
                table.delete_item(item.hash_key, item.range_key)
        deleted += len(expired)
    return deleted


def ttl_expiry(interval: float = EXPIRY_SECONDS) -> Periodic:
    """:func:`expire_items` every ``interval`` seconds, once started."""
    return Periodic(interval, expire_items, "ttl-expiry")
