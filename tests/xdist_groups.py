"""How ``pytest -n 2 --dist loadgroup`` (``make test``) shares the tests between its workers.

Each test module is one unit of work, so its module-scoped fixtures (a local stack) start
once; all of ``tests/cdk`` is one unit, so the session's synth and the packaging venv are built
once. pytest-xdist's own ``loadgroup`` cannot do it on pytest 9: it groups by an ``@group``
suffix it appends to ``Item._nodeid``, which pytest 9 no longer reads (node ids live in
``Item._id``), so every ``xdist_group`` marker was ignored and the slow fixtures ran on both
workers. This scheduler takes the unit from the node id itself, and hands out the long units
first (the CDK tests, then the benchmarks' smoke runs, then the local stacks and browsers), so
that no long one starts last while the other worker idles.
"""

from __future__ import annotations

from typing import Any, Final

from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

#: Modules under this folder share one worker (the session's synth, the packaging fixture).
SHARED_GROUP: Final = "tests/cdk/"
#: Where a unit goes in the queue, by folder (the rest after them, larger units first).
FIRST_FOLDERS: Final[tuple[tuple[str, ...], ...]] = (
    (SHARED_GROUP,),
    ("tests/benchmarks/",),
    ("tests/local/", "tests/browser/", "tests/examples/"),
)


def group_of(nodeid: str) -> str:
    """The unit of work of a test: its module, or ``tests/cdk/`` for every CDK test."""
    module = nodeid.split("::", 1)[0]
    return SHARED_GROUP if module.startswith(SHARED_GROUP) else module


def queue_rank(group: str) -> int:
    """The place of ``group``'s folder in :data:`FIRST_FOLDERS` (after them: their length)."""
    for rank, folders in enumerate(FIRST_FOLDERS):
        if group.startswith(folders):
            return rank
    return len(FIRST_FOLDERS)


class ModuleGroupScheduling(LoadScopeScheduling):  # type: ignore[misc]
    """xdist's scope scheduling with :func:`group_of` as the scope, long units first."""

    _ordered = False

    def _split_scope(self, nodeid: str) -> str:
        return group_of(nodeid)

    def _assign_work_unit(self, node: Any) -> None:
        if not self._ordered:  # the queue is complete by the first assignment
            self._ordered = True
            units = sorted(
                self.workqueue.items(), key=lambda unit: (queue_rank(unit[0]), -len(unit[1]))
            )
            self.workqueue.clear()
            self.workqueue.update(units)
        super()._assign_work_unit(node)
