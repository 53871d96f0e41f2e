"""``python -m benchmarks.local_fanout_latency`` once, with a few clients and events."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.benchmarks.smoke import assert_completed, run_benchmark

pytestmark = pytest.mark.slow

#: The smallest load that still has admins, customers of several ids and every event type.
SMALL_LOAD = (
    *("--clients", "12", "--admins", "3", "--customer-ids", "3"),
    *("--events", "12", "--rate", "20", "--warm-up-events", "1"),
    *("--settle-seconds", "10", "--max-seconds", "120"),
)


def test_local_fanout_latency_prints_its_table_with_nothing_lost_or_misrouted(
    tmp_path: Path,
) -> None:
    run = run_benchmark("local_fanout_latency", *SMALL_LOAD, workdir=tmp_path)
    assert_completed(run, "expected deliveries", "latency p99", "target p99 <")
