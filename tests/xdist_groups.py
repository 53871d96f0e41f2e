"""How ``pytest -n 2 --dist loadgroup`` (``make test``) shares the tests between its workers.

Each test module is one unit of work, so its module-scoped fixtures (a local stack) start
once; all of ``tests/cdk`` is one unit, so the session's synth and the packaging venv are built
once. pytest-xdist's own ``loadgroup`` cannot do it on pytest 9: it groups by an ``@group``
suffix it appends to ``Item._nodeid``, which pytest 9 no longer reads (node ids live in
``Item._id``), so every ``xdist_group`` marker was ignored and the slow fixtures ran on both
workers. This scheduler takes the unit from the node id itself.
"""

from __future__ import annotations

from typing import Final

from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

#: Modules under this folder share one worker (the session's synth, the packaging fixture).
SHARED_GROUP: Final = "tests/cdk/"


def group_of(nodeid: str) -> str:
    """The unit of work of a test: its module, or ``tests/cdk/`` for every CDK test."""
    module = nodeid.split("::", 1)[0]
    return SHARED_GROUP if module.startswith(SHARED_GROUP) else module


class ModuleGroupScheduling(LoadScopeScheduling):  # type: ignore[misc]
    """xdist's scope scheduling with :func:`group_of` as the scope (largest groups first)."""

    def _split_scope(self, nodeid: str) -> str:
        return group_of(nodeid)
