"""A network namespace with only ``lo``: where the browser tests and benchmarks run chromium.

As root with util-linux ``unshare`` (CI, the development machines), ``make test`` runs pytest
inside one, and ``benchmarks/browser_latency.py`` re-executes itself inside one: chromium and
the local stack it talks to then share a loopback that leads nowhere else. A non-root developer
gets no namespace; chromium's flags (:mod:`tests.browser.chromium`) and the test suite's guard
(:mod:`tests.loopback_guard`) keep it on loopback instead.
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Sequence
from typing import Final, NoReturn

#: Prefix that runs a command in a new network namespace with ``lo`` up (what
#: ``make test`` and ``benchmarks/browser_latency.py`` use).
LOOPBACK_ONLY: Final = (
    "unshare",
    "-n",
    "bash",
    "-c",
    'ip link set lo up && exec "$@"',
    "loopback-only",
)
HOW_TO_ISOLATE: Final = (
    "run it through `make test` / `make test-fast` (as root they run pytest in a network "
    "namespace with only `lo`), or prefix the command with "
    "`unshare -n bash -c 'ip link set lo up && exec \"$@\"' loopback-only`"
)


def network_interfaces() -> list[str]:
    """Names of this process's network interfaces, sorted."""
    return sorted(name for _, name in socket.if_nameindex())


def only_loopback() -> bool:
    """Whether this process's network namespace has no interface but ``lo``."""
    return network_interfaces() == ["lo"]


@functools.cache
def namespace_available() -> bool:
    """Whether this process may create a network namespace (root, ``unshare`` and ``ip``)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    probe = subprocess.run([*LOOPBACK_ONLY, "true"], capture_output=True, check=False)
    return probe.returncode == 0


def loopback_only(command: Sequence[str]) -> list[str]:
    """``command`` as it runs in a new namespace with only ``lo``."""
    return [*LOOPBACK_ONLY, *command]


def reexec_where_only_loopback_exists() -> None:
    """Re-execute this Python program in a namespace with only ``lo``, when it is not in one
    and one can be made (otherwise return and run here)."""
    if only_loopback() or not namespace_available():
        return
    _exec(loopback_only([sys.executable, *sys.orig_argv[1:]]))


def _exec(command: list[str]) -> NoReturn:
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvp(command[0], command)
