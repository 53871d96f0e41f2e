"""Keeps the local stack's moto process from growing with every request, as moto 5.2.5 does.

moto's ``BaseModel.__new__`` appends every model instance it ever creates to its class's
``instances_tracked`` list, for the dashboard at ``/moto-api/``, and nothing removes them until
a reset: every DynamoDB ``Item`` (and each ``Query`` and ``Scan`` deep-copies every item it
returns, so one fan-out to 100 connections adds 100 of them), every SQS ``Message``, every SNS
message. In a soak that was ≈ 160 KB per event, forever. And each SNS topic keeps every message
published to it in ``sent_notifications``, for moto's test inspection API.

:func:`install` makes ``instances_tracked`` hold instances weakly (the dashboard still lists
every live instance; a deleted item or a copied query result is freed as soon as nothing else
uses it) and keeps the last :data:`SENT_NOTIFICATIONS_KEPT` messages of each topic. It is
installed only in the child process that serves moto for the local stack, and only on the moto
release it was checked against (:data:`CHECKED_MOTO_VERSION`): another release runs unchanged,
and ``tests/local/test_moto_memory.py`` fails until it is checked again.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterable, Iterator
from typing import Any, Final

import moto
from moto.core.common_models import BaseModel
from moto.sns.models import Topic

#: The moto release whose ``BaseModel`` and ``Topic.publish`` the changes were checked against.
CHECKED_MOTO_VERSION: Final = "5.2.5"
#: Messages each SNS topic remembers for moto's inspection API (moto keeps every one).
SENT_NOTIFICATIONS_KEPT: Final = 100
_MOTOS_PUBLISH: Final = Topic.publish


class WeakInstances:
    """A stand-in for moto's ``instances_tracked`` list that holds its instances weakly:
    ``append`` and iteration (live instances only) as moto and its dashboard use them. By
    identity: moto's models define ``__eq__``, which makes them unhashable."""

    def __init__(self, instances: Iterable[Any] = ()) -> None:
        self._references: dict[int, weakref.ref[Any]] = {}
        for instance in instances:
            self.append(instance)

    def append(self, instance: Any) -> None:
        """Track ``instance`` while it lives (an instance without weak references is not)."""
        key = id(instance)
        references = self._references
        with contextlib.suppress(TypeError):
            references[key] = weakref.ref(instance, lambda _: references.pop(key, None))

    def __iter__(self) -> Iterator[Any]:
        live = (reference() for reference in list(self._references.values()))
        return iter([instance for instance in live if instance is not None])

    def __len__(self) -> int:
        return len(self._references)


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
    return True
