"""What a command's processes connect and send to, from ``strace``: every address past loopback.

The tests run chromium and each benchmark's smoke run under
``strace -f -yy -e trace=connect,sendto,sendmsg,sendmmsg`` and fail on any IPv4 or IPv6 address
that is not loopback, whether in a destination (``connect``, ``sendto``) or as the peer of the
socket something is sent on. One exception: Chromium's IPv6 reachability probe, a UDP socket
connected to a fixed address (``connect`` on a datagram socket sends nothing; Chromium reads
which local address the kernel would use) that nothing is ever sent on. A send on it would
name it as the peer and fail.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from tests.loopback_guard import is_loopback_host

TRACED_CALLS: Final = "connect,sendto,sendmsg,sendmmsg"
HOW_TO_CHECK_BY_HAND: Final = (
    "strace is missing (`make setup` installs it with apt-get). To check by hand: "
    f"strace -f -yy -e trace={TRACED_CALLS} -o /tmp/trace.txt COMMAND; then "
    "grep -E 'inet_addr|inet_pton|->' /tmp/trace.txt | grep -vE '127\\.|::1' lists what went "
    "past loopback"
)
#: Chromium's IPv6 reachability probe (``kIPv6ProbeAddress`` in net/dns/host_resolver_manager.cc).
CHROMIUM_IPV6_PROBE: Final = ("2001:4860:4860::8888", 443)

_DESTINATION: Final = re.compile(
    r'sin6?_port=htons\((?P<port>\d+)\).*?(?:inet_addr\("(?P<v4>[^"]+)"\)'
    r'|inet_pton\(AF_INET6, "(?P<v6>[^"]+)")'
)
_PEER: Final = re.compile(r"<(?:TCP|UDP|TCPv6|UDPv6):\[[^<>]*?->(?P<peer>[^<>]*?)\]>")
_UDP6_CONNECT: Final = re.compile(r"^\d+\s+connect\(\d+<UDPv6:")


def strace_path() -> str | None:
    """``strace`` on ``PATH``, if installed."""
    return shutil.which("strace")


def is_loopback(address: str) -> bool:
    """Whether an address as strace prints it (``127.0.0.1``, ``::1``, ``[::1]``) is loopback
    (the suite's one classifier, :func:`tests.loopback_guard.is_loopback_host`)."""
    return bool(address) and is_loopback_host(address)


@dataclass(frozen=True)
class NetworkTrace:
    """The lines of one strace log that name an IP address."""

    lines: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> NetworkTrace:
        """Keep the lines with an IPv4/IPv6 destination or peer."""
        return cls(tuple(line for line in text.splitlines() if _addresses(line)))

    def past_loopback(self) -> list[str]:
        """Lines whose destination or peer is not loopback (the probe above excepted)."""
        return [line for line in self.lines if _leaves_loopback(line)]

    def loopback_ports(self) -> set[int]:
        """Ports of the loopback destinations the processes connected or sent to."""
        ports = set()
        for line in self.lines:
            match = _DESTINATION.search(line)
            if match and is_loopback(match["v4"] or match["v6"]):
                ports.add(int(match["port"]))
        return ports


def _addresses(line: str) -> list[tuple[str, int | None]]:
    found: list[tuple[str, int | None]] = []
    destination = _DESTINATION.search(line)
    if destination:
        found.append((destination["v4"] or destination["v6"], int(destination["port"])))
    peer = _PEER.search(line)
    if peer:
        host, _, port = peer["peer"].rpartition(":")
        found.append((host.strip("[]"), int(port) if port.isdigit() else None))
    return found


def _leaves_loopback(line: str) -> bool:
    for address, port in _addresses(line):
        if is_loopback(address):
            continue
        probe = _UDP6_CONNECT.match(line) and (address, port) == CHROMIUM_IPV6_PROBE
        if not probe:
            return True
    return False


def traced_executable(executable: Path, log: Path, wrapper: Path) -> Path:
    """Write ``wrapper``: a script that runs ``executable`` with its arguments under strace,
    logging to ``log`` (for a program another library starts, such as Playwright's browser)."""
    strace = strace_path()
    if strace is None:
        raise FileNotFoundError(HOW_TO_CHECK_BY_HAND)
    wrapper.write_text(
        "#!/bin/sh\n"
        f"exec {shlex.quote(strace)} -f -yy --seccomp-bpf -e trace={TRACED_CALLS} "
        f'-o {shlex.quote(str(log))} {shlex.quote(str(executable))} "$@"\n'
    )
    wrapper.chmod(0o755)
    return wrapper


def run_traced(
    command: Sequence[str], log: Path, timeout: float, cwd: Path | None = None
) -> tuple[subprocess.CompletedProcess[str], NetworkTrace]:
    """Run ``command`` under strace (following children); its result and its network trace."""
    strace = strace_path()
    if strace is None:
        raise FileNotFoundError(HOW_TO_CHECK_BY_HAND)
    traced = [strace, "-f", "-yy", "--seccomp-bpf", "-e", f"trace={TRACED_CALLS}", "-o", str(log)]
    result = subprocess.run(
        [*traced, *command], capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd
    )
    return result, NetworkTrace.parse(log.read_text(errors="replace"))
