"""The SNS records of a send-invoice-update invocation, and their invoice events.

A record whose message is not a valid envelope is logged with its SNS message id, topic and the
validation problems (paths and rules, never values) and raises :class:`MalformedEventError`:
Lambda retries the invocation and then hands it to the on-failure queue, so nothing is dropped
silently and no payload reaches a log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alexho_invoice_runtime.contract import InvalidEventError, InvoiceEvent, parse_event
from alexho_invoice_runtime.observability import get_logger

_log = get_logger(__name__)


class MalformedEventError(ValueError):
    """An invocation or SNS message that holds no valid invoice event (message names the SNS
    message id and the problems, never the payload)."""

    def __init__(self, message_id: str, problems: list[str]) -> None:
        self.message_id = message_id
        self.problems = problems
        super().__init__(
            f"SNS message {message_id!r}: invalid invoice event: {'; '.join(problems)}"
        )


@dataclass(frozen=True)
class SnsMessage:
    """One SNS notification delivered to the function."""

    message_id: str
    topic_arn: str
    body: str


def sns_messages(event: Mapping[str, Any]) -> list[SnsMessage]:
    """The SNS notifications of a Lambda event; raises :class:`MalformedEventError` if the
    event is not shaped like an SNS trigger's."""
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list) or not records:
        raise _rejected("-", "-", ["$.Records: an SNS event needs at least one record"])
    messages = []
    for index, record in enumerate(records):
        sns = record.get("Sns") if isinstance(record, Mapping) else None
        if not isinstance(sns, Mapping) or not isinstance(sns.get("Message"), str):
            raise _rejected("-", "-", [f"$.Records[{index}].Sns.Message: must be a string"])
        messages.append(
            SnsMessage(
                message_id=str(sns.get("MessageId") or "-"),
                topic_arn=str(sns.get("TopicArn") or "-"),
                body=sns["Message"],
            )
        )
    return messages


def invoice_event_of(message: SnsMessage) -> InvoiceEvent:
    """The validated invoice event of ``message``; logs and raises if it is malformed."""
    try:
        return parse_event(message.body)
    except InvalidEventError as error:
        raise _rejected(message.message_id, message.topic_arn, error.problems) from None


def _rejected(message_id: str, topic_arn: str, problems: list[str]) -> MalformedEventError:
    _log.error(
        "rejected a malformed invoice event",
        extra={"snsMessageId": message_id, "topicArn": topic_arn, "problems": problems},
    )
    return MalformedEventError(message_id, problems)
