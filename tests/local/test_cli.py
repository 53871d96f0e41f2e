"""``alexho-local``: ``up`` in a real process (banner, tokens, taken ports, ``listen``'s
keepalive, ``down``), and the client commands against the module's in-process stack."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from alexho_invoice_local.aws.moto_server import MotoBackend
from alexho_invoice_local.cli.client import InvoiceStreamClient, StreamClosedError
from alexho_invoice_local.cli.main import main
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_local.ports import PortInUseError
from alexho_invoice_local.tokens import LocalTokens
from tests.local.conftest import run

READY_LINE = "to stop."
UP_IDLE_TIMEOUT_SECONDS = 2


def alexho_local(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "alexho_invoice_local", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def read_until(process: subprocess.Popen[str], marker: str, timeout: float = 30) -> list[str]:
    """Lines of stdout up to ``marker`` (a reader thread keeps the deadline honest)."""
    assert process.stdout is not None
    lines: list[str] = []
    found = threading.Event()

    def reader() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if marker in line:
                found.set()
                return

    threading.Thread(target=reader, daemon=True).start()
    assert found.wait(timeout), f"no {marker!r} in: {lines}"
    return lines


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@dataclass(frozen=True)
class UpProcess:
    """``alexho-local up`` running in a process of its own."""

    process: subprocess.Popen[str]
    state_file: Path
    banner: list[str]

    @property
    def endpoints(self) -> StackEndpoints:
        return StackEndpoints.from_json(self.state_file.read_text())


@pytest.fixture(scope="module")
def up_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpProcess]:
    """``up`` with a 2 s idle timeout; the module's last test stops it with ``down``."""
    workdir = tmp_path_factory.mktemp("up")
    state_file = workdir / "state.json"
    process = alexho_local(
        *("--state-file", str(state_file), "up", "--port", "0"),
        *("--idle-timeout", str(UP_IDLE_TIMEOUT_SECONDS), "--lambda-logs", str(workdir / "l")),
    )
    try:
        yield UpProcess(process, state_file, read_until(process, READY_LINE))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_up_prints_urls_and_working_tokens(up_process: UpProcess) -> None:
    endpoints, banner = up_process.endpoints, up_process.banner
    # THEN the banner names the demo page, the WebSocket URL and the topic ARN, and has an
    # admin token
    assert endpoints.demo_page_url is not None
    assert any(f"Demo page            {endpoints.demo_page_url}" in line for line in banner)
    assert any(endpoints.websocket_url in line for line in banner)
    assert any(endpoints.topic_arn in line for line in banner)
    admin_token = banner[next(i for i, line in enumerate(banner) if "Admin token" in line) + 1]

    async def ping_as_admin() -> dict[str, Any]:
        async with InvoiceStreamClient(endpoints.websocket_url, admin_token.strip()) as client:
            await client.send({"action": "ping"})
            return (await client.next_frame(10)).frame

    assert run(ping_as_admin()) == {"type": "pong"}


def test_listen_pings_within_the_idle_timeout_of_the_stack(
    up_process: UpProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    # WHEN listen runs for longer than the stack's idle timeout (read from the state file,
    # which may also follow the command)
    seconds = str(UP_IDLE_TIMEOUT_SECONDS * 1.75)
    state_file = str(up_process.state_file)
    code = main(["listen", "--as", "admin", "--seconds", seconds, "--state-file", state_file])
    out, err = capsys.readouterr()
    # THEN it kept its one connection alive with pings: no close, no reconnect
    assert code == 0
    assert err == ""
    assert out.splitlines().count('{"type": "pong"}') >= 2


def test_up_on_a_taken_port_exits_2_with_one_line_naming_it(
    tmp_path: Path, taken_port: int
) -> None:
    process = alexho_local(
        *("--state-file", str(tmp_path / "state.json"), "up", "--port", str(taken_port)),
        *("--management-port", "0", "--moto-port", "0"),
    )
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert err.splitlines() == [
        f"alexho-local: port {taken_port} on 127.0.0.1 is already in use (needed for the "
        "WebSocket gateway); stop what holds it or choose other ports (--port, "
        "--management-port, --moto-port, --demo-page-port)"
    ]


def test_a_taken_moto_port_is_reported_as_such_before_moto_starts(taken_port: int) -> None:
    # werkzeug, under moto, would print its own message and exit the server's process
    with pytest.raises(PortInUseError) as taken:
        MotoBackend("127.0.0.1", taken_port).start()
    assert (taken.value.port, taken.value.service) == (taken_port, "AWS endpoint (moto)")


def test_demo_plays_the_seed_scenario_against_the_running_stack(
    state_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--state-file", str(state_file), "demo"]) == 0
    out = capsys.readouterr().out
    assert "INVOICE_CREATED (DRAFT)" in out
    assert "As designed" in out
    assert "UNEXPECTED" not in out


def test_listen_prints_an_event_published_with_the_publish_command(
    state_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listen_args = [
        "--as",
        "customer",
        "--customer-id",
        "cust-77",
        "--count",
        "1",
        "--seconds",
        "10",
    ]
    codes: list[int] = []
    listener = threading.Thread(
        target=lambda: codes.append(main(["--state-file", str(state_file), "listen", *listen_args]))
    )
    listener.start()
    time.sleep(1.0)  # let the listener connect before publishing
    published = main(
        [
            *("--state-file", str(state_file), "publish", "INVOICE_SENT"),
            *("--invoice-id", "inv-77", "--customer-id", "cust-77", "--status", "SENT"),
        ]
    )
    listener.join(15)
    frames = [
        json.loads(line)
        for line in capsys.readouterr().out.splitlines()
        if line.startswith('{"type": "event"')
    ]
    assert (published, codes) == (0, [0])
    assert [frame["event"]["subject"] for frame in frames] == ["inv-77"]


def test_env_points_the_readme_backend_at_the_stack(
    state_file: Path, endpoints: StackEndpoints, tokens: LocalTokens, tmp_path: Path
) -> None:
    # GIVEN a shell without AWS settings, and an admin connected to the stack
    backend = (
        "import os\n"
        "from alexho_invoice_publisher import ConnectTokenMinter, InvoiceEventPublisher\n"
        "publisher = InvoiceEventPublisher.from_environment()\n"
        "publisher.publish_invoice_sent('inv-env', 'cust-42', {'status': 'SENT'})\n"
        "minter = ConnectTokenMinter(secret_id=os.environ['INVOICE_TOKEN_SECRET_ARN'])\n"
        "print(minter.mint(subject='user-7', user_type='CUSTOMER', customer_id='cust-42'))\n"
    )
    shell = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PYTHON": sys.executable}
    script = (
        'eval "$("$PYTHON" -m alexho_invoice_local env --state-file "$STATE_FILE")" '
        '&& "$PYTHON" -c "$BACKEND"'
    )

    async def publish_from_a_backend() -> tuple[subprocess.CompletedProcess[str], list[Any]]:
        async with InvoiceStreamClient(endpoints.websocket_url, tokens.admin()) as admin:
            # WHEN the backend runs after `eval "$(alexho-local env)"`
            backend_run = await asyncio.to_thread(
                subprocess.run,
                ["bash", "-c", script],
                env={**shell, "STATE_FILE": str(state_file), "BACKEND": backend},
                capture_output=True,
                text=True,
                timeout=60,
            )
            return backend_run, await admin.wait_for_events(1, timeout=10)

    backend_run, events = run(publish_from_a_backend())
    # THEN it published to the stack's topic and minted a token the stack accepts
    assert backend_run.returncode == 0, backend_run.stderr
    assert [event["subject"] for event in events] == ["inv-env"]

    async def connect_as_customer(token: str) -> dict[str, Any]:
        async with InvoiceStreamClient(endpoints.websocket_url, token) as client:
            await client.send({"action": "ping"})
            return (await client.next_frame(10)).frame

    assert run(connect_as_customer(backend_run.stdout.strip())) == {"type": "pong"}


@pytest.mark.parametrize("command", [["token", "--as", "admin"], ["env"], ["down"]])
def test_client_commands_without_a_running_stack_exit_1(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--state-file", str(tmp_path / "none.json"), *command]) == 1
    assert "no local stack is running" in capsys.readouterr().err


async def closing_of(client: InvoiceStreamClient) -> StreamClosedError:
    """Take frames until the server closes the connection; returns how it closed it."""
    while True:
        try:
            await client.next_frame(20)
        except StreamClosedError as closed:
            return closed


def test_down_stops_the_stack_cleanly(up_process: UpProcess) -> None:
    """The module's last test: it stops ``up_process``."""
    endpoints = up_process.endpoints

    async def stay_connected_while_down_runs() -> tuple[int, StreamClosedError]:
        tokens = LocalTokens(endpoints)
        async with InvoiceStreamClient(endpoints.websocket_url, tokens.admin()) as client:

            async def keep_alive() -> None:
                while True:
                    await client.send({"action": "ping"})
                    await asyncio.sleep(0.5)

            pinging = asyncio.create_task(keep_alive())
            # WHEN `alexho-local down` runs while a client keeps its connection busy
            code = await asyncio.to_thread(
                main, ["down", "--state-file", str(up_process.state_file)]
            )
            closed = await closing_of(client)
            pinging.cancel()
            return code, closed

    code, closed = run(stay_connected_while_down_runs())
    out, _ = up_process.process.communicate(timeout=30)
    # THEN the client was closed as going away, the stack stopped cleanly, and exited 0
    assert code == 0
    assert closed.code == 1001
    assert "Stopped." in out
    assert up_process.process.returncode == 0
    assert not up_process.state_file.exists()
