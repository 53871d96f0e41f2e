"""A benchmark's local stack ends with the benchmark, however the benchmark ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.benchmarks.smoke import REPO

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux's"),
]

_STARTS_A_STACK = """
import sys, time
from pathlib import Path
from benchmarks.local_fanout_latency import start_stack
if __name__ == "__main__":
    process, _ = start_stack(Path(sys.argv[1]), "WARNING", [])
    print(process.pid, flush=True)
    time.sleep(300)
"""


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, ended but not yet reaped, does not)."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return status.rsplit(")", 1)[1].split()[0] != "Z"


def test_the_stack_stops_when_its_benchmark_is_killed(tmp_path: Path) -> None:
    # GIVEN a benchmark process that started its stack
    script = tmp_path / "starts_a_stack.py"
    script.write_text(_STARTS_A_STACK)
    benchmark = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert benchmark.stdout is not None
    stack_pid = int(benchmark.stdout.readline())
    try:
        assert alive(stack_pid)
        # WHEN the benchmark is killed outright (no clean-up of its own runs)
        benchmark.send_signal(signal.SIGKILL)
        benchmark.wait()
        # THEN its stack stops too, as after Ctrl-C
        deadline = time.monotonic() + 60
        while alive(stack_pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not alive(stack_pid)
    finally:
        if alive(stack_pid):
            os.kill(stack_pid, signal.SIGINT)
