"""``python -m benchmarks.local_fanout_faults`` once, with a few clients, events and faults."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.benchmarks.smoke import assert_completed, run_benchmark
from tests.benchmarks.test_local_fanout_latency_smoke import SMALL_LOAD

pytestmark = pytest.mark.slow


def test_local_fanout_faults_prints_its_table(tmp_path: Path) -> None:
    run = run_benchmark(
        "local_fanout_faults", *SMALL_LOAD, "--malformed-rate", "5", workdir=tmp_path
    )
    assert_completed(run, "malformed dead-lettered", "target (0 lost", target_may_miss=True)
