"""The test suite's in-process network boundary: a socket that would reach past loopback fails.

An audit hook (:func:`sys.addaudithook`) sees every ``socket.connect``, ``socket.sendto``,
``socket.sendmsg`` and name or address lookup of this process. One aimed past loopback is
recorded and refused with :class:`NonLoopbackConnectionError` (an ``OSError``, as an
unreachable network gives), and ``tests/conftest.py`` fails the test it happened in. Allowed:
127.0.0.0/8, ``::1`` (and ``::ffff:127.x``), the unspecified addresses a server binds to,
``localhost`` and ``*.localhost``, and every non-IP socket (unix, netlink). Child processes are
outside its reach: ``make test`` runs the whole suite in a network namespace with only ``lo``
for them.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
from collections.abc import Generator
from typing import Any, Final

import pytest

LOOPBACK_NAMES: Final = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
_CHECKED_ADDRESS_EVENTS: Final = frozenset({"socket.connect", "socket.sendto", "socket.sendmsg"})
_CHECKED_NAME_EVENTS: Final = frozenset(
    {
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "socket.gethostbyname_ex",
        "socket.gethostbyaddr",
    }
)
_IP_FAMILIES: Final = frozenset({socket.AF_INET, socket.AF_INET6})


class NonLoopbackConnectionError(OSError):
    """A connection or name lookup past loopback, refused by the test suite's guard."""


def is_loopback_host(host: object) -> bool:
    """Whether ``host`` (a name or address, as sockets get it) stays on this machine."""
    if host is None:
        return True  # a passive lookup (a server's bind address)
    text = host.decode(errors="replace") if isinstance(host, bytes) else str(host)
    name = text.strip("[]").rstrip(".").lower()
    if name in {"", *LOOPBACK_NAMES} or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified


class LoopbackGuard:
    """Records and refuses every socket operation of this process that leaves loopback."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._violations: list[str] = []

    def install(self) -> None:
        """Add the audit hook (for the rest of the process: audit hooks cannot be removed)."""
        sys.addaudithook(self._audit)

    def take_violations(self) -> list[str]:
        """The violations since the last call (and forget them)."""
        with self._lock:
            taken, self._violations = self._violations, []
        return taken

    def _audit(self, event: str, args: tuple[Any, ...]) -> None:
        if event in _CHECKED_ADDRESS_EVENTS:
            sock, address = args
            # (``sendmsg`` on a connected socket has no address: its connect was checked)
            if address is None or sock.family not in _IP_FAMILIES or is_loopback_host(address[0]):
                return
            target = f"{address[0]}:{address[1]}"
        elif event in _CHECKED_NAME_EVENTS:
            if is_loopback_host(args[0]):
                return
            target = repr(args[0])
        elif event == "socket.getnameinfo":
            if is_loopback_host(args[0][0]):
                return
            target = repr(args[0][0])
        else:
            return
        message = f"{event} to {target}: only loopback is allowed in the tests"
        with self._lock:
            self._violations.append(message)
        raise NonLoopbackConnectionError(message)


#: The guard ``tests/conftest.py`` installs.
GUARD: Final = LoopbackGuard()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Fail the phase (setup, call, teardown) in which a socket reached past loopback (the
    suite's conftest imports this hook)."""
    report: pytest.TestReport = yield
    violations = GUARD.take_violations()
    if violations:
        report.outcome = "failed"
        report.longrepr = "\n".join(["network access outside loopback:", *violations])
    return report
