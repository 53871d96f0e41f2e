"""Time series of the soak benchmark: latency samples by when they were taken, memory slopes."""

from __future__ import annotations

from dataclasses import dataclass, field

from benchmarks.local_fanout_latency import percentile


@dataclass
class Series:
    """``(seconds since the start, value)`` samples."""

    samples: list[tuple[float, float]] = field(default_factory=list)

    def add(self, at: float, value: float) -> None:
        self.samples.append((at, value))


def tenth_of(at: float, duration: float) -> int:
    """Which tenth of a ``duration``-second run (0 to 9) the moment ``at`` falls in; samples
    taken after the run (the last events' settling) count in the last."""
    return max(0, min(9, int(at // (duration / 10))))


def values_by_tenth(series: Series, duration: float) -> list[list[float]]:
    """The values of ``series`` in each tenth of the run (:func:`tenth_of`)."""
    tenths: list[list[float]] = [[] for _ in range(10)]
    for at, value in series.samples:
        tenths[tenth_of(at, duration)].append(value)
    return tenths


def tenth_percentiles(
    series: Series, duration: float
) -> tuple[tuple[float, float], tuple[float, float]]:
    """``((p50, p99) of the first tenth, (p50, p99) of the last tenth)`` of the run, by when
    each sample was taken; NaN for a tenth without samples."""

    def p50_p99(values: list[float]) -> tuple[float, float]:
        if not values:
            return float("nan"), float("nan")
        return percentile(values, 0.50), percentile(values, 0.99)

    tenths = values_by_tenth(series, duration)
    return p50_p99(tenths[0]), p50_p99(tenths[-1])


def p99_by_tenth(series: Series, duration: float) -> list[float]:
    """The p99 of each tenth of the run (NaN for a tenth without samples), to tell a drift
    from one slow stretch."""
    return [
        percentile(values, 0.99) if values else float("nan")
        for values in values_by_tenth(series, duration)
    ]


def slope_per_hour(samples: list[tuple[float, float]]) -> float:
    """The least-squares slope of ``(seconds, value)`` samples, per hour (NaN for < 2)."""
    if len(samples) < 2:
        return float("nan")
    count = len(samples)
    mean_t = sum(t for t, _ in samples) / count
    mean_v = sum(v for _, v in samples) / count
    spread = sum((t - mean_t) ** 2 for t, _ in samples)
    if spread == 0:
        return float("nan")
    covariance = sum((t - mean_t) * (v - mean_v) for t, v in samples)
    return covariance / spread * 3600
