"""Errors of the publisher SDK; every one derives from :class:`PublisherError`.

Messages name what is wrong (a path and rule, an AWS error code), never an event's data, a
signing key or a token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from alexho_invoice_runtime.contract import EventTooLargeError, InvalidEventError

if TYPE_CHECKING:
    from alexho_invoice_publisher.results import PublishFailure

__all__ = [
    "BatchPublishError",
    "EventTooLargeError",
    "InvalidInvoiceEventError",
    "InvalidTokenRequestError",
    "InvoiceEventTooLargeError",
    "MissingDependencyError",
    "PublishError",
    "PublisherConfigurationError",
    "PublisherError",
    "SigningKeyUnavailableError",
]


class PublisherError(Exception):
    """Base class of every error the publisher SDK raises."""


class PublisherConfigurationError(PublisherError, ValueError):
    """Missing or malformed configuration: topic ARN, region, source, signing key source."""


class InvalidInvoiceEventError(PublisherError, InvalidEventError):
    """An event that breaks the contract; nothing was published.

    ``problems`` lists ``"<path>: <rule>"`` entries (never values); ``index`` is the position
    of the offending item in a batch, ``None`` for a single publish.
    """

    def __init__(self, problems: list[str], *, index: int | None = None) -> None:
        super().__init__(problems)
        self.index = index
        if index is not None:
            self.args = (f"batch item {index}: {self.args[0]}",)


class InvoiceEventTooLargeError(InvalidInvoiceEventError, EventTooLargeError):
    """An event whose client frame would exceed API Gateway's 128 KB message limit.

    Also an :class:`EventTooLargeError` (the contract's class, re-exported here).
    """


class PublishError(PublisherError):
    """SNS did not take the event (or not every event of a batch).

    ``code`` is the AWS error code (``NotFound``, ``AuthorizationError``, …) or, for a failure
    before AWS answered, the botocore exception name (``NoCredentialsError``, …).
    """

    def __init__(self, code: str, message: str, *, event_id: str | None = None) -> None:
        self.code = code
        self.event_id = event_id
        about = f"event {event_id}" if event_id else "the event"
        super().__init__(f"SNS did not accept {about}: {code}: {message}")

    @classmethod
    def from_boto(
        cls, error: ClientError | BotoCoreError, *, event_id: str | None = None
    ) -> PublishError:
        """Wrap a botocore ``ClientError`` or ``BotoCoreError``."""
        code, message = aws_error_details(error)
        return cls(code, message, event_id=event_id)


class BatchPublishError(PublishError):
    """Raised by ``BatchPublishResult.raise_for_failures``: ``failures`` lists every entry SNS
    did not take (in input order); ``code`` and ``event_id`` are the first failure's."""

    def __init__(self, failures: tuple[PublishFailure, ...]) -> None:
        self.failures = failures
        first = failures[0]
        codes = ", ".join(sorted({failure.code for failure in failures}))
        super().__init__(
            first.code,
            f"{len(failures)} batch entr{'y' if len(failures) == 1 else 'ies'} failed ({codes})",
            event_id=first.event_id,
        )


class InvalidTokenRequestError(PublisherError, ValueError):
    """A connect token cannot be minted for these claims (subject, user type, customer id, ttl)."""


class SigningKeyUnavailableError(PublisherError):
    """The HS256 signing key could not be read from Secrets Manager; ``code`` is the AWS code."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


class RevocationError(PublisherError):
    """A revocation could not be done; ``code`` is the AWS error code, or names the bad
    argument (``InvalidCustomerId``, ``InvalidSubject``)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


class MissingDependencyError(PublisherError, ImportError):
    """An optional dependency is not installed (PyJWT, for minting connect tokens)."""


def aws_error_details(error: ClientError | BotoCoreError) -> tuple[str, str]:
    """``(code, message)`` of a botocore error."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return str(details.get("Code") or "Unknown"), str(details.get("Message") or error)
    return type(error).__name__, str(error)
