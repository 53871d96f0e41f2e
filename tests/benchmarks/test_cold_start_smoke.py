"""``python -m benchmarks.cold_start`` once, with one process per row."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.benchmarks.smoke import assert_completed, run_benchmark

pytestmark = pytest.mark.slow


def test_cold_start_prints_its_table(tmp_path: Path) -> None:
    run = run_benchmark("cold_start", "--runs", "1", workdir=tmp_path)
    assert_completed(run, "baseline: import boto3", "send_invoice_update", target_may_miss=True)
