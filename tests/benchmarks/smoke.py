"""A benchmark's smoke run: once, with its smallest parameters, traced by strace where installed.

It must complete and print its table (a change that breaks a benchmark fails ``make test``), and
connect or send to nothing past loopback. Timing targets are not judged here (on a shared CI
machine a missed one says little): for the benchmarks whose exit code 1 means "target missed",
1 passes too, as long as the run printed its whole table and raised nothing.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from tests.network_trace import HOW_TO_CHECK_BY_HAND, run_traced, strace_path

REPO: Final = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class SmokeRun:
    """What a benchmark printed, and what it reached past loopback."""

    returncode: int
    stdout: str
    stderr: str
    past_loopback: list[str]

    def failure(self) -> str:
        """The tail of both outputs, for an assertion message."""
        return f"exit {self.returncode}\n{self.stdout[-3000:]}\n{self.stderr[-3000:]}"


def run_benchmark(module: str, *args: str, workdir: Path, timeout: float = 180) -> SmokeRun:
    """``python -m benchmarks.<module> <args>`` from the repository root."""
    command = [sys.executable, "-m", f"benchmarks.{module}", *args]
    if strace_path() is None:
        warnings.warn(HOW_TO_CHECK_BY_HAND, stacklevel=2)
        plain = subprocess.run(
            command, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False
        )
        return SmokeRun(plain.returncode, plain.stdout, plain.stderr, [])
    result, trace = run_traced(command, workdir / "strace.txt", timeout, cwd=REPO)
    return SmokeRun(result.returncode, result.stdout, result.stderr, trace.past_loopback())


def assert_completed(run: SmokeRun, *table_lines: str, target_may_miss: bool = False) -> None:
    """The run ended normally (exit 0, or 1 for a missed timing target where
    ``target_may_miss``), printed ``table_lines`` and stayed on loopback."""
    assert run.returncode in ((0, 1) if target_may_miss else (0,)), run.failure()
    assert "Traceback" not in run.stderr, run.failure()
    for line in table_lines:
        assert line in run.stdout, run.failure()
    assert run.past_loopback == []
