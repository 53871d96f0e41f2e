"""``alexho-local``: ``up`` in a real process (banner, tokens, Ctrl-C, taken port), and the
client commands against the module's running stack."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from alexho_invoice_local.cli.client import InvoiceStreamClient, StreamClosedError
from alexho_invoice_local.cli.main import main
from alexho_invoice_local.endpoints import StackEndpoints
from tests.local.conftest import run

READY_LINE = "Press Ctrl-C to stop."


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


def test_up_prints_urls_and_working_tokens_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    process = alexho_local(
        "--state-file", str(state_file), "up", "--port", "0", "--lambda-logs", str(tmp_path / "l")
    )
    try:
        banner = read_until(process, READY_LINE)
        endpoints = StackEndpoints.from_json(state_file.read_text())
        # THEN the banner names the demo page, the WebSocket URL and the topic ARN, and has an
        # admin token
        assert endpoints.demo_page_url is not None
        assert any(f"Demo page            {endpoints.demo_page_url}" in line for line in banner)
        assert any(endpoints.websocket_url in line for line in banner)
        assert any(endpoints.topic_arn in line for line in banner)
        admin_token = banner[next(i for i, line in enumerate(banner) if "Admin token" in line) + 1]

        async def connect_then_get_closed_by_ctrl_c() -> StreamClosedError:
            async with InvoiceStreamClient(endpoints.websocket_url, admin_token.strip()) as client:
                process.send_signal(signal.SIGINT)
                with pytest.raises(StreamClosedError) as closed:
                    await client.next_frame(20)
                return closed.value

        closed = run(connect_then_get_closed_by_ctrl_c())
        out, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # THEN Ctrl-C closed the open connection as going away, the process said so and exited 0
    assert closed.code == 1001
    assert "Stopped." in out
    assert process.returncode == 0
    assert not state_file.exists()


def test_up_on_a_taken_port_exits_2_naming_the_port(tmp_path: Path, taken_port: int) -> None:
    process = alexho_local(
        "--state-file",
        str(tmp_path / "state.json"),
        "up",
        "--port",
        str(taken_port),
        "--management-port",
        "0",
        "--moto-port",
        "0",
    )
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert f"port {taken_port} on 127.0.0.1 is already in use" in err


def test_up_refuses_a_non_loopback_host(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["up", "--host", "0.0.0.0"])
    assert exited.value.code == 2
    assert "not a loopback address" in capsys.readouterr().err


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


def test_client_commands_without_a_running_stack_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--state-file", str(tmp_path / "none.json"), "token", "--as", "admin"])
    assert code == 1
    assert "no local stack is running" in capsys.readouterr().err
