"""Keeps the local stack's moto process from growing with every request, as moto 5.2.5 does.

moto's ``BaseModel.__new__`` appends every model instance it ever creates to its class's
``instances_tracked`` list, for the dashboard at ``/moto-api/``, and nothing removes them until
a reset: every DynamoDB ``Item`` (and each ``Query`` and ``Scan`` deep-copies every item it
returns, so one fan-out to 100 connections adds 100 of them), every SQS ``Message``, every SNS
message. In a soak that was ≈ 160 KB per event, forever. And each SNS topic keeps every message
published to it in ``sent_notifications``, for moto's test inspection API; SNS keeps the signing
certificate it makes for every message it delivers to a queue (≈ 1.2 KB each, for the
``SigningCertURL`` a subscriber may fetch), and every SQS queue keeps the receipt handles of
every message deleted from it (185 characters each, so that a repeated delete succeeds): about
10 MB an hour at 2 events per second, found with ``tracemalloc`` in a soak. And a table with a
sort key keeps the partition (its key and an empty dict) of every item it ever held after the
last one is deleted: the event log's id markers, a partition each, left two a second.

:func:`install` makes ``instances_tracked`` hold instances weakly (the dashboard still lists
every live instance; a deleted item or a copied query result is freed as soon as nothing else
uses it), keeps the last :data:`SENT_NOTIFICATIONS_KEPT` messages of each topic, and the last
:data:`SIGNING_CERTIFICATES_KEPT` certificates and :data:`DELETED_RECEIPTS_KEPT` deleted
receipt handles of each queue, and drops a partition once its last item is deleted (moto
makes a new one, as always, when an item is put in it). It is installed only in the child
process that serves moto for the local stack, and only on the moto release it was checked
against (:data:`CHECKED_MOTO_VERSION`): another release runs unchanged, and
``tests/local/test_moto_memory.py`` fails until it is checked again.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Hashable, Iterable, Iterator, MutableSet
from typing import Any, Final

import moto
from moto.core.common_models import BaseModel
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.sns.models import SNSBackend, Topic
from moto.sqs.models import Queue

#: The moto release whose ``BaseModel`` and ``Topic.publish`` the changes were checked against.
CHECKED_MOTO_VERSION: Final = "5.2.5"
#: Messages each SNS topic remembers for moto's inspection API (moto keeps every one).
SENT_NOTIFICATIONS_KEPT: Final = 100
#: Signing certificates SNS serves for the messages it delivered last (moto keeps every one).
SIGNING_CERTIFICATES_KEPT = 1_000
#: Receipt handles of the messages deleted last that a queue recognizes (moto keeps every one):
#: a repeated delete comes within seconds, and 1,000 is 8 minutes of the soak's fan-out queue
#: (10,000 let it grow ≈ 1.9 MB an hour for its first 80 minutes).
DELETED_RECEIPTS_KEPT = 1_000
_MOTOS_PUBLISH: Final = Topic.publish
_MOTOS_SNS_INIT: Final = SNSBackend.__init__
_MOTOS_QUEUE_INIT: Final = Queue.__init__
_MOTOS_DELETE_ITEM: Final = Table.delete_item


class WeakInstances:
    """A stand-in for moto's ``instances_tracked`` list that holds its instances weakly:
    ``append`` and iteration (live instances only) as moto and its dashboard use them. By
    identity: moto's models define ``__eq__``, which makes them unhashable. One weak reference
    per instance, carrying its key, with one callback for all (a closure per instance was five
    more objects for each stored item, for the full collections to walk)."""

    def __init__(self, instances: Iterable[Any] = ()) -> None:
        self._references: dict[int, weakref.KeyedRef[int, Any]] = {}
        self._forget_reference = self._forget
        for instance in instances:
            self.append(instance)

    def append(self, instance: Any) -> None:
        """Track ``instance`` while it lives (an instance without weak references is not)."""
        key = id(instance)
        with contextlib.suppress(TypeError):
            self._references[key] = weakref.KeyedRef(instance, self._forget_reference, key)

    def _forget(self, reference: weakref.KeyedRef[int, Any]) -> None:
        if self._references.get(reference.key) is reference:
            del self._references[reference.key]

    def __iter__(self) -> Iterator[Any]:
        live = (reference() for reference in list(self._references.values()))
        return iter([instance for instance in live if instance is not None])

    def __len__(self) -> int:
        return len(self._references)


class RecentEntries(dict[Any, Any]):
    """A dict that keeps its last ``limit`` insertions: the oldest key leaves first."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        while len(self) > self.limit:
            del self[next(iter(self))]


class RecentSet(MutableSet[Hashable]):
    """A set that keeps its last ``limit`` additions (with ``update`` as ``set`` has it)."""

    def __init__(self, limit: int) -> None:
        self._members = RecentEntries(limit)

    def __contains__(self, member: object) -> bool:
        return member in self._members

    def __iter__(self) -> Iterator[Hashable]:
        return iter(list(self._members))

    def __len__(self) -> int:
        return len(self._members)

    def add(self, value: Hashable) -> None:
        """Add ``value`` as the newest member."""
        self._members.pop(value, None)
        self._members[value] = None

    def discard(self, value: Hashable) -> None:
        """Remove ``value`` if it is a member."""
        self._members.pop(value, None)

    def update(self, values: Iterable[Hashable]) -> None:
        """Add each of ``values``."""
        for value in values:
            self.add(value)


def _sns_backend_keeping_recent_certificates(self: SNSBackend, *args: Any, **kwargs: Any) -> None:
    _MOTOS_SNS_INIT(self, *args, **kwargs)
    self._message_public_keys = RecentEntries(SIGNING_CERTIFICATES_KEPT)


def _queue_keeping_recent_receipts(self: Queue, *args: Any, **kwargs: Any) -> None:
    _MOTOS_QUEUE_INIT(self, *args, **kwargs)
    self.deleted_messages = RecentSet(DELETED_RECEIPTS_KEPT)  # type: ignore[assignment]


def _delete_item_dropping_empty_partition(
    self: Table, hash_key: DynamoType, range_key: DynamoType | None
) -> Item | None:
    item: Item | None = _MOTOS_DELETE_ITEM(self, hash_key, range_key)
    if range_key and not self.items.get(hash_key, True):
        del self.items[hash_key]
    return item


def _new_weakly_tracked(cls: type[BaseModel], *args: Any, **kwargs: Any) -> BaseModel:
    instance: BaseModel = super(BaseModel, cls).__new__(cls)
    tracked = cls.instances_tracked  # type: ignore[attr-defined]
    if not isinstance(tracked, WeakInstances):
        # Classes start with a list, and moto's reset puts a new list back.
        tracked = WeakInstances(tracked)
        cls.instances_tracked = tracked  # type: ignore[attr-defined]
    tracked.append(instance)
    return instance


def _publish_keeping_recent(self: Topic, *args: Any, **kwargs: Any) -> str:
    message_id: str = _MOTOS_PUBLISH(self, *args, **kwargs)
    del self.sent_notifications[:-SENT_NOTIFICATIONS_KEPT]
    return message_id


def install() -> bool:
    """Make the changes on :data:`CHECKED_MOTO_VERSION`; whether they are in place."""
    if BaseModel.__new__ is _new_weakly_tracked:
        return True
    if moto.__version__ != CHECKED_MOTO_VERSION:
        return False
    BaseModel.__new__ = staticmethod(_new_weakly_tracked)  # type: ignore[method-assign]
    Topic.publish = _publish_keeping_recent  # type: ignore[method-assign]
    SNSBackend.__init__ = _sns_backend_keeping_recent_certificates  # type: ignore[method-assign]
    Queue.__init__ = _queue_keeping_recent_receipts  # type: ignore[method-assign]
    Table.delete_item = _delete_item_dropping_empty_partition  # type: ignore[method-assign]
    return True
