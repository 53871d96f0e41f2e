"""A periodic task goes on after a call that failed, and stops when told."""

from __future__ import annotations

import logging

import pytest

from alexho_invoice_local.periodic import Periodic
from tests.local.conftest import wait_until


def test_a_failed_call_is_logged_and_the_next_one_comes(caplog: pytest.LogCaptureFixture) -> None:
    # GIVEN a task whose first call raises
    calls: list[int] = []

    def action() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("first call fails")

    task = Periodic(0.02, action, "flaky-task")
    with caplog.at_level(logging.ERROR, logger="alexho_invoice_local.periodic"):
        task.start()
        try:
            # THEN it is called again, and the failure is in the log under the task's name
            assert wait_until(lambda: len(calls) >= 3, timeout=2)
        finally:
            task.stop()
    assert "flaky-task failed" in caplog.text
    assert "first call fails" in caplog.text


def test_no_call_comes_after_stop() -> None:
    calls: list[None] = []
    task = Periodic(0.01, lambda: calls.append(None), "counting-task")
    task.start()
    assert wait_until(lambda: len(calls) >= 1, timeout=2)
    task.stop()
    stopped_at = len(calls)
    assert not wait_until(lambda: len(calls) > stopped_at, timeout=0.1)
