"""``python -m benchmarks.browser_latency`` once, with a few events (chromium and the stack in
a network namespace with only ``lo`` where one can be made)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.benchmarks.smoke import assert_completed, run_benchmark

pytestmark = pytest.mark.slow


def test_browser_latency_prints_its_table_with_nothing_lost(tmp_path: Path) -> None:
    run = run_benchmark(
        "browser_latency",
        "--events",
        "12",
        "--rate",
        "10",
        "--settle-seconds",
        "10",
        workdir=tmp_path,
    )
    assert_completed(run, "lost 0, duplicated 0, misrouted 0", "publish → rendered in the page")
