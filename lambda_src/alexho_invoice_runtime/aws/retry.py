"""Retries with exponential backoff and full jitter: the one policy every AWS call uses."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, TypeVar

from alexho_invoice_runtime.aws.errors import AwsError

T = TypeVar("T")

#: HTTP statuses worth another attempt: throttling and transient server errors.
RETRYABLE_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
#: Error codes answered with 400 that are throttling, so worth another attempt.
THROTTLING_CODES: Final = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "TooManyRequestsException",
    }
)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded attempts (the first included) with exponential backoff and full jitter."""

    max_attempts: int = 3
    base_seconds: float = 0.05
    cap_seconds: float = 1.0

    def delay(self, attempt: int) -> float:
        """Random pause after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** (attempt - 1))
        return random.uniform(0.0, ceiling)  # noqa: S311 - jitter, not cryptography


#: The layer's default: three attempts, as botocore's ``standard`` mode makes.
DEFAULT_POLICY: Final = RetryPolicy()


def is_retryable(error: AwsError) -> bool:
    """Throttling, a transient 5xx, or no answer at all."""
    return error.status == 0 or error.status in RETRYABLE_STATUSES or error.code in THROTTLING_CODES


def with_retries(
    call: Callable[[], T],
    policy: RetryPolicy = DEFAULT_POLICY,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``call()``, again after a jittered pause while it raises a retryable :class:`AwsError`
    and attempts remain; the last error propagates."""
    attempt = 1
    while True:
        try:
            return call()
        except AwsError as error:
            if attempt >= policy.max_attempts or not is_retryable(error):
                raise
        sleep(policy.delay(attempt))
        attempt += 1
