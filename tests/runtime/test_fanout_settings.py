"""Fan-out knobs from the environment, and the retry policy they configure."""

from __future__ import annotations

import pytest

from alexho_invoice_runtime.definitions import Env
from alexho_invoice_runtime.fanout.poster import RetryPolicy
from alexho_invoice_runtime.fanout.settings import FanoutSettingError, FanoutSettings


def test_defaults_apply_when_nothing_is_set() -> None:
    # GIVEN an empty environment WHEN settings are read THEN the documented defaults apply
    assert FanoutSettings.from_environ({}) == FanoutSettings()


def test_variables_override_the_defaults() -> None:
    # GIVEN every knob set
    environ = {
        Env.FANOUT_WORKERS: "8",
        Env.FANOUT_MAX_ATTEMPTS: "3",
        Env.FANOUT_BACKOFF_BASE_MS: "20",
        Env.FANOUT_QUERY_PAGE_SIZE: "250",
        Env.EVENT_RETENTION_SECONDS: "600",
    }
    # WHEN settings are read THEN each one is taken
    assert FanoutSettings.from_environ(environ) == FanoutSettings(
        workers=8,
        max_attempts=3,
        backoff_base_seconds=0.02,
        query_page_size=250,
        event_retention_seconds=600,
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (Env.FANOUT_WORKERS, "many", "FANOUT_WORKERS must be a whole number from 1 to 256"),
        (Env.FANOUT_WORKERS, "1_000", "FANOUT_WORKERS must be a whole number"),
        (Env.FANOUT_WORKERS, "0", "FANOUT_WORKERS must be a whole number from 1 to 256"),
        (Env.FANOUT_MAX_ATTEMPTS, "1000", "FANOUT_MAX_ATTEMPTS must be a whole number from 1 to"),
        (Env.FANOUT_QUERY_PAGE_SIZE, "-5", "FANOUT_QUERY_PAGE_SIZE must be a whole number"),
    ],
)
def test_unusable_value_is_a_clear_error(name: str, value: str, message: str) -> None:
    # GIVEN a knob with an unusable value WHEN settings are read THEN the error names it
    with pytest.raises(FanoutSettingError, match=message):
        FanoutSettings.from_environ({name: value})


def test_backoff_doubles_up_to_the_cap_with_full_jitter() -> None:
    # GIVEN a policy starting at 100 ms and capped at 1 s
    policy = RetryPolicy(max_attempts=6, base_seconds=0.1, cap_seconds=1.0)
    # WHEN delays are drawn for each attempt
    delays = {attempt: [policy.delay(attempt) for _ in range(200)] for attempt in (1, 2, 3, 5)}
    # THEN each lies between zero and min(cap, base * 2^(attempt-1)), and they vary
    for attempt, ceiling in ((1, 0.1), (2, 0.2), (3, 0.4), (5, 1.0)):
        assert all(0.0 <= d <= ceiling for d in delays[attempt])
        assert max(delays[attempt]) > ceiling / 2
    assert len(set(delays[1])) > 100
