"""``python -m benchmarks.read_cost`` once, with one small step."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.benchmarks.smoke import assert_completed, run_benchmark

pytestmark = pytest.mark.slow


def test_read_cost_prints_its_table_against_moto_on_loopback(tmp_path: Path) -> None:
    run = run_benchmark("read_cost", "--steps", "200", workdir=tmp_path)
    assert_completed(run, "Scan would read", "items read: the sum of ScannedCount")
