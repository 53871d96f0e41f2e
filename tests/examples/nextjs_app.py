"""``examples/nextjs`` as a test builds and serves it: ``next build`` with the stack's WebSocket
URL (``NEXT_PUBLIC_*`` is fixed at build time), then ``next start`` on a free loopback port with
the backend environment ``alexho-local env`` exports."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from alexho_invoice_local.cli.backend_env import backend_environment
from alexho_invoice_local.endpoints import StackEndpoints

EXAMPLE: Final = Path(__file__).resolve().parents[2] / "examples" / "nextjs"
NEXT: Final = EXAMPLE / "node_modules" / ".bin" / "next"
INSTALL_HINT: Final = (
    "examples/nextjs is not installed: run `make setup` (npm ci in examples/nextjs)"
)
BUILD_TIMEOUT_SECONDS: Final = 300
START_TIMEOUT_SECONDS: Final = 30


def _environment(endpoints: StackEndpoints) -> dict[str, str]:
    return {
        **os.environ,
        **backend_environment(endpoints),
        "NEXT_PUBLIC_WEBSOCKET_URL": endpoints.websocket_url,
        "NEXT_TELEMETRY_DISABLED": "1",
    }


def build(endpoints: StackEndpoints) -> None:
    """``next build`` for this stack's WebSocket URL (raises with its output when it fails)."""
    completed = subprocess.run(
        [str(NEXT), "build"],
        cwd=EXAMPLE,
        env=_environment(endpoints),
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_SECONDS,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"next build failed:\n{completed.stdout}\n{completed.stderr}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


@contextmanager
def serve(endpoints: StackEndpoints, log: Path) -> Iterator[str]:
    """``next start`` on a free loopback port (its output in ``log``); yields its base URL and
    stops it afterwards."""
    port = _free_port()
    with log.open("w") as output:
        server = subprocess.Popen(
            [str(NEXT), "start", "--hostname", "127.0.0.1", "--port", str(port)],
            cwd=EXAMPLE,
            env=_environment(endpoints),
            stdout=output,
            stderr=subprocess.STDOUT,
            # `next start` runs the server in a child (`next-server`): a group of their own
            # lets the teardown stop both.
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not _answers(f"{base}/sign-in"):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"next start did not come up:\n{log.read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        _stop_group(server)


def _stop_group(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group, SIGKILL to what is left after 10 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
