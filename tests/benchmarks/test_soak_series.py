"""The soak's time series: which tenth a sample falls in, and each tenth's p99."""

from __future__ import annotations

import math

from benchmarks.soak_series import Series, p99_by_tenth, tenth_of


def test_samples_before_and_after_the_run_count_in_its_first_and_last_tenth() -> None:
    assert [tenth_of(at, 100.0) for at in (-1.0, 0.0, 9.9, 10.0, 99.9, 130.0)] == [0, 0, 0, 1, 9, 9]


def test_each_tenth_has_the_p99_of_its_own_samples() -> None:
    # GIVEN a 100 s run with samples of 10 ms in its first tenth and 40 ms in its fourth
    series = Series()
    for n in range(50):
        series.add(n / 5, 10.0)
        series.add(30 + n / 5, 40.0)
    # THEN each tenth shows its own, and a tenth without samples is NaN
    first, second, third, fourth, *rest = p99_by_tenth(series, 100.0)
    assert (first, fourth) == (10.0, 40.0)
    assert all(math.isnan(p99) for p99 in (second, third, *rest))
