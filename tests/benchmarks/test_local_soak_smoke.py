"""``python -m benchmarks.local_soak`` once, for half a minute with a dozen churning clients."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.benchmarks.smoke import assert_completed, run_benchmark

pytestmark = pytest.mark.slow

#: Short lives, so that every churning client reconnects and resumes a few times in 30 s, and a
#: high share of abandoned handshakes, so that some happen.
SMALL_SOAK = (
    *("--duration", "30", "--clients", "12", "--rate", "2"),
    *("--min-life", "2", "--max-life", "6", "--abandon-share", "0.2"),
    *("--sample-seconds", "2", "--settle-seconds", "60"),
)


def test_local_soak_prints_its_table_with_no_orphans_nothing_lost_or_misrouted(
    tmp_path: Path,
) -> None:
    run = run_benchmark("local_soak", *SMALL_SOAK, workdir=tmp_path)
    # exit 0: nothing lost or misrouted, no connection row left behind (timing not judged; a
    # retried fan-out may deliver an event twice, which clients de-duplicate by id)
    assert_completed(
        run,
        "orphan rows after the clients left: 0",
        "RSS (MB)",
        "latency (ms)",
        "target nothing lost or misrouted: met",
    )
