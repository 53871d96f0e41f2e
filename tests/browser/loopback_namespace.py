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
import socket
import subprocess
import sys
from pathlib import Path
from typing import Final

#: The script that runs a command in a new network namespace with ``lo`` up (what ``make
#: test`` and ``benchmarks/browser_latency.py`` use); one definition of that namespace.
LOOPBACK_ONLY_SCRIPT: Final = Path(__file__).resolve().parents[2] / ".ci" / "loopback-only"
HOW_TO_ISOLATE: Final = (
    "run it through `make test` / `make test-fast` (as root they run pytest in a network "
    "namespace with only `lo`), or prefix the command with `.ci/loopback-only`"
)


#: Makes the script fail, rather than run the command outside a namespace, when it cannot make one.
_REQUIRED: Final = "LOOPBACK_ONLY_REQUIRED"


def network_interfaces() -> list[str]:
    """Names of this process's network interfaces, sorted."""
    return sorted(name for _, name in socket.if_nameindex())


def only_loopback() -> bool:
    """Whether this process's network namespace has no interface but ``lo``."""
    return network_interfaces() == ["lo"]


@functools.cache
def namespace_available() -> bool:
    """Whether this process may create a network namespace (root, ``unshare`` and ``ip``)."""
    probe = subprocess.run(
        [str(LOOPBACK_ONLY_SCRIPT), "true"],
        capture_output=True,
        check=False,
        env={**os.environ, _REQUIRED: "1"},
    )
    return probe.returncode == 0


def reexec_where_only_loopback_exists() -> None:
    """Re-execute this Python program in a namespace with only ``lo``, when it is not in one
    and one can be made (otherwise return and run here)."""
    if only_loopback() or not namespace_available():
        return
    command = [str(LOOPBACK_ONLY_SCRIPT), sys.executable, *sys.orig_argv[1:]]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(command[0], command, {**os.environ, _REQUIRED: "1"})
