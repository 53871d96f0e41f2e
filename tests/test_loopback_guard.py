"""The test suite's in-process guard: past loopback, a connect or a name lookup is refused and
fails the test; loopback and unix sockets pass."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.loopback_guard import GUARD, NonLoopbackConnectionError, is_loopback_host

REPO = Path(__file__).resolve().parents[1]

#: A documentation address (RFC 5737): never routed, so nothing could leave even unguarded.
UNROUTED = "192.0.2.1"


def test_a_connect_past_loopback_is_refused_and_recorded() -> None:
    # WHEN a test connects to an address past loopback
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock,
        pytest.raises(NonLoopbackConnectionError),
    ):
        sock.connect((UNROUTED, 443))
    # THEN it was refused before the connect, and recorded (taken here, so this test passes)
    assert GUARD.take_violations() == [
        f"socket.connect to {UNROUTED}:443: only loopback is allowed in the tests"
    ]


def test_a_lookup_of_an_aws_hostname_is_refused_and_recorded() -> None:
    with pytest.raises(NonLoopbackConnectionError):
        socket.getaddrinfo("dynamodb.eu-west-1.amazonaws.com", 443)
    assert GUARD.take_violations() == [
        "socket.getaddrinfo to 'dynamodb.eu-west-1.amazonaws.com': only loopback is allowed "
        "in the tests"
    ]


def test_a_datagram_sent_with_sendmsg_past_loopback_is_refused_and_recorded() -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock,
        pytest.raises(NonLoopbackConnectionError),
    ):
        sock.sendmsg([b"x"], [], 0, (UNROUTED, 9))
    assert GUARD.take_violations() == [
        f"socket.sendmsg to {UNROUTED}:9: only loopback is allowed in the tests"
    ]


@pytest.mark.parametrize(
    ("lookup", "event"),
    [
        (lambda: socket.gethostbyaddr(UNROUTED), "socket.gethostbyaddr"),
        (lambda: socket.getnameinfo((UNROUTED, 80), 0), "socket.getnameinfo"),
    ],
    ids=["gethostbyaddr", "getnameinfo"],
)
def test_a_reverse_lookup_past_loopback_is_refused_and_recorded(
    lookup: Callable[[], object], event: str
) -> None:
    with pytest.raises(NonLoopbackConnectionError):
        lookup()
    assert GUARD.take_violations() == [
        f"{event} to '{UNROUTED}': only loopback is allowed in the tests"
    ]


def test_loopback_and_unix_sockets_pass() -> None:
    # GIVEN a server on 127.0.0.1
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        # WHEN clients reach it by address and by name, and a unix socket pair talks
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
        with socket.create_connection(("localhost", port), timeout=5):
            pass
    left, right = socket.socketpair(socket.AF_UNIX)
    with left, right:
        left.sendall(b"x")
        assert right.recv(1) == b"x"
    # THEN nothing was recorded
    assert GUARD.take_violations() == []


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("app.localhost", True),
        (None, True),
        ("0.0.0.0", True),  # a bind address, as servers look it up
        ("10.0.0.1", False),
        ("2001:4860:4860::8888", False),
        ("example.com", False),
        ("localhost.example.com", False),
    ],
)
def test_what_counts_as_loopback(host: str | None, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_a_test_that_swallows_the_refusal_still_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a test session with this suite's guard, and a test that catches the refusal
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    pytester.makeconftest(
        "from tests.loopback_guard import GUARD, pytest_runtest_makereport\nGUARD.install()\n"
    )
    pytester.makepyfile(
        f"""
        import contextlib, socket

        def test_quietly_reaches_out():
            with contextlib.suppress(OSError), socket.socket() as sock:
                sock.connect(("{UNROUTED}", 80))
        """
    )
    # WHEN it runs
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:syrupy", "-p", "no:xdist"
    )
    # THEN it fails, naming what it tried
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*network access outside loopback:*", f"*socket.connect to {UNROUTED}:80*"]
    )
