"""The one error type of the AWS access layer."""

from __future__ import annotations

from typing import Final

#: ``code`` of a request that got no HTTP answer (refused, dropped, timed out).
NO_ANSWER: Final = "NoAnswer"
#: Error codes of a refused condition and of a gone ``@connections`` connection.
CONDITIONAL_CHECK_FAILED: Final = "ConditionalCheckFailedException"
GONE: Final = "GoneException"


class AwsError(Exception):
    """An AWS call failed. ``code`` is the service's error type (``ThrottlingException``,
    ``ResourceNotFoundException``, ...) or :data:`NO_ANSWER`; ``status`` the HTTP status, 0 when
    no answer came. The message never holds request data (keys, tokens, payloads); it may hold
    the service's own error message."""

    def __init__(self, code: str, status: int, message: str = "") -> None:
        super().__init__(f"{code} ({status}){': ' + message if message else ''}")
        self.code = code
        self.status = status

    @property
    def conditional_check_failed(self) -> bool:
        """DynamoDB refused a write because its condition was false."""
        return self.code == CONDITIONAL_CHECK_FAILED

    @property
    def gone(self) -> bool:
        """``@connections``: the connection is no longer open (410)."""
        return self.status == 410 or self.code == GONE


class AwsConfigError(RuntimeError):
    """The environment lacks what AWS calls need (credentials, region, an endpoint): a
    deployment error, raised on first use with the name of what is missing."""
