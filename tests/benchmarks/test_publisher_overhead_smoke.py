"""``python -m benchmarks.publisher_overhead`` once, with few runs and events."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.benchmarks.smoke import assert_completed, run_benchmark

pytestmark = pytest.mark.slow


def test_publisher_overhead_prints_its_table(tmp_path: Path) -> None:
    run = run_benchmark("publisher_overhead", "--runs", "20", "--events", "20", workdir=tmp_path)
    assert_completed(run, "small (460 B)", "publish_batch (10 per call)")
