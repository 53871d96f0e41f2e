"""Fan-out knobs, read from ``Env.FANOUT_*`` environment variables (all optional)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from alexho_invoice_runtime import settings
from alexho_invoice_runtime.definitions import DEFAULT_EVENT_RETENTION_SECONDS, Env
from alexho_invoice_runtime.event_log import retention_seconds_from_env

#: Posting threads by default: a post takes 10-20 ms at ``@connections``, so 32 threads cannot
#: exceed ~2,130 posts/s however little CPU they use; 64 leave room above 2,000 posts/s, and a
#: post costs the same CPU at 32 and 64 threads (``benchmarks/fanout_throughput.py``).
DEFAULT_WORKERS: Final = 64
DEFAULT_MAX_ATTEMPTS: Final = 5
DEFAULT_BACKOFF_BASE_MS: Final = 50
DEFAULT_QUERY_PAGE_SIZE: Final = 250
#: Longest pause between two attempts of one post.
BACKOFF_CAP_SECONDS: Final = 2.0
#: Upper bounds that keep a typo from starting thousands of threads.
MAX_WORKERS: Final = 256
MAX_ATTEMPTS_LIMIT: Final = 20


class FanoutSettingError(ValueError):
    """A ``FANOUT_*`` (or retention) environment variable holds an unusable value."""


@dataclass(frozen=True)
class FanoutSettings:
    """How one container fans events out."""

    #: Threads posting concurrently (each keeps its own keep-alive connection).
    workers: int = DEFAULT_WORKERS
    #: Attempts per post while the endpoint throttles (or the connection drops).
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    #: Upper bound of the first retry's random delay; doubles with each attempt.
    backoff_base_seconds: float = DEFAULT_BACKOFF_BASE_MS / 1000
    #: ``Limit`` of each ``Query`` page of recipients.
    query_page_size: int = DEFAULT_QUERY_PAGE_SIZE
    #: How long the event log keeps an event for ``resume``.
    event_retention_seconds: int = DEFAULT_EVENT_RETENTION_SECONDS

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> FanoutSettings:
        """Settings from the environment; unset variables keep their defaults."""
        env = os.environ if environ is None else environ
        return cls(
            workers=_integer(env, Env.FANOUT_WORKERS, DEFAULT_WORKERS, 1, MAX_WORKERS),
            max_attempts=_integer(
                env, Env.FANOUT_MAX_ATTEMPTS, DEFAULT_MAX_ATTEMPTS, 1, MAX_ATTEMPTS_LIMIT
            ),
            backoff_base_seconds=_integer(
                env, Env.FANOUT_BACKOFF_BASE_MS, DEFAULT_BACKOFF_BASE_MS, 0, 60_000
            )
            / 1000,
            query_page_size=_integer(
                env, Env.FANOUT_QUERY_PAGE_SIZE, DEFAULT_QUERY_PAGE_SIZE, 1, 100_000
            ),
            event_retention_seconds=retention_seconds_from_env(env),
        )


def _integer(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    return settings.integer(
        name, default=default, low=low, high=high, environ=env, error=FanoutSettingError
    )
