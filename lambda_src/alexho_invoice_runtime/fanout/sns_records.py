"""The SNS records of a send-invoice-update invocation, and their invoice events.

A record whose message is not a valid envelope, or whose ``eventType``/``customerId`` message
attribute is not a String equal to the envelope's (filter policies would misroute it), is logged
with its SNS message id, topic and the validation problems (paths and rules, never values) and
raises :class:`MalformedEventError`:
Lambda retries the invocation and then hands it to the on-failure queue, so nothing is dropped
silently and no payload reaches a log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from alexho_invoice_runtime.contract import InvalidEventError, InvoiceEvent, parse_event
from alexho_invoice_runtime.contract.probe import check_probe_shape
from alexho_invoice_runtime.definitions import (
    CUSTOMER_ID_MESSAGE_ATTRIBUTE,
    EVENT_TYPE_MESSAGE_ATTRIBUTE,
)
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
    #: Lambda's form: ``{name: {"Type": "String", "Value": ...}}``.
    attributes: Mapping[str, Any] = field(default_factory=dict)


def sns_messages(event: Mapping[str, Any]) -> list[SnsMessage]:
    """The SNS notifications of a Lambda event; logs and raises :class:`MalformedEventError`
    if the event is not shaped like an SNS trigger's."""
    try:
        return read_sns_messages(event)
    except MalformedEventError as error:
        _log_rejected("-", "-", error.problems)
        raise


def read_sns_messages(event: Mapping[str, Any]) -> list[SnsMessage]:
    """:func:`sns_messages` without the log line (for tools that report problems themselves)."""
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list) or not records:
        raise MalformedEventError("-", ["$.Records: an SNS event needs at least one record"])
    messages = []
    for index, record in enumerate(records):
        sns = record.get("Sns") if isinstance(record, Mapping) else None
        if not isinstance(sns, Mapping) or not isinstance(sns.get("Message"), str):
            raise MalformedEventError("-", [f"$.Records[{index}].Sns.Message: must be a string"])
        attributes = sns.get("MessageAttributes")
        messages.append(
            SnsMessage(
                message_id=str(sns.get("MessageId") or "-"),
                topic_arn=str(sns.get("TopicArn") or "-"),
                body=sns["Message"],
                attributes=attributes if isinstance(attributes, Mapping) else {},
            )
        )
    return messages


def invoice_event_of(message: SnsMessage) -> InvoiceEvent:
    """The validated invoice event of ``message``; logs and raises if it is malformed."""
    try:
        return validated_event(message)
    except InvalidEventError as error:
        _log_rejected(message.message_id, message.topic_arn, error.problems)
        raise MalformedEventError(message.message_id, error.problems) from None


def validated_event(message: SnsMessage) -> InvoiceEvent:
    """The envelope of ``message`` checked against the contract and its message attributes;
    raises :class:`InvalidEventError` (nothing logged)."""
    event = parse_event(message.body)
    check_probe_shape(event)
    problems = []
    for name, field_name in (
        (EVENT_TYPE_MESSAGE_ATTRIBUTE, "type"),
        (CUSTOMER_ID_MESSAGE_ATTRIBUTE, "customerid"),
    ):
        attribute = message.attributes.get(name)
        if attribute is None:
            continue  # optional: only subscription filter policies read them
        if not isinstance(attribute, Mapping) or attribute.get("Type") != "String":
            problems.append(f"$.MessageAttributes.{name}: must be of type String")
        elif attribute.get("Value") != event[field_name]:  # type: ignore[literal-required]
            problems.append(f"$.MessageAttributes.{name}: must equal $.{field_name}")
    if problems:
        raise InvalidEventError(problems)
    return event


def rejected(message: SnsMessage, problems: list[str]) -> MalformedEventError:
    """Log ``message`` as refused for ``problems`` (never its payload) and return the error to
    raise, so that Lambda sends it to the on-failure queue with its reason."""
    _log_rejected(message.message_id, message.topic_arn, problems)
    return MalformedEventError(message.message_id, problems)


def _log_rejected(message_id: str, topic_arn: str, problems: list[str]) -> None:
    _log.error(
        "rejected a malformed invoice event",
        extra={"snsMessageId": message_id, "topicArn": topic_arn, "problems": problems},
    )
