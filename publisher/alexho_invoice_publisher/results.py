"""What a publish returns: one result per event, successful or failed."""

from __future__ import annotations

from dataclasses import dataclass

from alexho_invoice_publisher.errors import BatchPublishError
from alexho_invoice_runtime.contract import InvoiceEvent


@dataclass(frozen=True)
class PublishResult:
    """An event SNS accepted: its SNS message id, its event id and the envelope sent."""

    message_id: str
    event_id: str
    event: InvoiceEvent

    @property
    def ok(self) -> bool:
        """Always ``True``: SNS accepted this event."""
        return True


@dataclass(frozen=True)
class PublishFailure:
    """A batch entry SNS refused (a PublishBatch ``BatchResultErrorEntry``, or the error of the
    whole PublishBatch call that carried it). ``sender_fault`` is ``False`` for AWS-side errors,
    which a retry may fix."""

    event_id: str
    event: InvoiceEvent
    code: str
    message: str
    sender_fault: bool

    @property
    def ok(self) -> bool:
        """Always ``False``: SNS did not take this event."""
        return False


BatchEntryResult = PublishResult | PublishFailure


@dataclass(frozen=True)
class BatchPublishResult:
    """Per-entry outcome of ``publish_batch``, in input order."""

    entries: tuple[BatchEntryResult, ...]

    @property
    def successful(self) -> tuple[PublishResult, ...]:
        """The entries SNS accepted, in input order."""
        return tuple(entry for entry in self.entries if isinstance(entry, PublishResult))

    @property
    def failed(self) -> tuple[PublishFailure, ...]:
        """The entries SNS refused, in input order."""
        return tuple(entry for entry in self.entries if isinstance(entry, PublishFailure))

    @property
    def ok(self) -> bool:
        """Whether SNS accepted every entry."""
        return not self.failed

    def raise_for_failures(self) -> BatchPublishResult:
        """Raise :class:`BatchPublishError` if any entry failed; return ``self`` otherwise."""
        failures = self.failed
        if failures:
            raise BatchPublishError(failures)
        return self

    def __len__(self) -> int:
        return len(self.entries)
