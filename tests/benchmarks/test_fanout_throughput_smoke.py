"""``python -m benchmarks.fanout_throughput`` once, with few recipients, workers and runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.benchmarks.smoke import assert_completed, run_benchmark

pytestmark = pytest.mark.slow


def test_fanout_throughput_prints_its_table(tmp_path: Path) -> None:
    run = run_benchmark(
        "fanout_throughput",
        *("--recipients", "40", "--workers", "4", "--runs", "1", "--baseline-posts", "10"),
        workdir=tmp_path,
    )
    assert_completed(run, "configuration", "sequential loop (10)", "targets:")
