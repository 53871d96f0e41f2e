"""Redrive: publish the valid events of the on-failure queue back to the topic.

The on-failure queue holds Lambda's on-failure records; each carries the SNS event the fan-out
function failed on (``requestPayload``). A record whose SNS messages all pass the runtime's own
check (:func:`~alexho_invoice_runtime.fanout.sns_records.validated_event`: the envelope's contract
and its message attributes) is published again, body and attributes unchanged, then deleted from
the queue. Any other record stays, visible again at once, with a one-line reason (paths and
rules, never values). Republishing keeps the event id: the event log keeps its cursor and clients
de-duplicate, so a redrive that runs twice delivers nothing twice to a client that de-duplicates.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from alexho_invoice_runtime.contract import InvalidEventError
from alexho_invoice_runtime.fanout.sns_records import (
    MalformedEventError,
    SnsMessage,
    read_sns_messages,
    validated_event,
)

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sns.type_defs import MessageAttributeValueTypeDef
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

#: How long a record read by a redrive stays hidden from other readers while it is handled.
RECEIVE_VISIBILITY_SECONDS: Final = 60
_BATCH: Final = 10


@dataclass(frozen=True)
class LeftInQueue:
    """A record the redrive did not publish, and why."""

    sqs_message_id: str
    sns_message_id: str
    reason: str

    def line(self) -> str:
        """One line for a terminal or a log."""
        return f"{self.sqs_message_id} (SNS message {self.sns_message_id}): {self.reason}"


@dataclass
class RedriveReport:
    """What one redrive did."""

    #: Event ids published again, in queue order.
    redriven: list[str] = field(default_factory=list)
    left: list[LeftInQueue] = field(default_factory=list)


def redrive(sqs: SQSClient, sns: SNSClient, queue_url: str, topic_arn: str) -> RedriveReport:
    """Read every record of the on-failure queue once and redrive the valid ones."""
    report = RedriveReport()
    for message in _read_all(sqs, queue_url):
        receipt = message["ReceiptHandle"]
        try:
            valid = _valid_messages(message.get("Body", ""))
        except _UnusableRecordError as error:
            report.left.append(LeftInQueue(message["MessageId"], error.sns_message_id, str(error)))
            sqs.change_message_visibility(
                QueueUrl=queue_url, ReceiptHandle=receipt, VisibilityTimeout=0
            )
            continue
        for sns_message, _ in valid:
            sns.publish(
                TopicArn=topic_arn,
                Message=sns_message.body,
                MessageAttributes=_publish_attributes(sns_message),
            )
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=receipt)
        report.redriven += [event_id for _, event_id in valid]
    return report


class _UnusableRecordError(ValueError):
    def __init__(self, sns_message_id: str, reason: str) -> None:
        super().__init__(reason)
        self.sns_message_id = sns_message_id


def _read_all(sqs: SQSClient, queue_url: str) -> list[MessageTypeDef]:
    """Every message of the queue, each once (read ones stay hidden until handled)."""
    messages: list[MessageTypeDef] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=_BATCH,
            VisibilityTimeout=RECEIVE_VISIBILITY_SECONDS,
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not batch:
            return messages
        messages += batch


def _valid_messages(body: str) -> list[tuple[SnsMessage, str]]:
    """The SNS messages of an on-failure record with their event ids; raises
    :class:`_UnusableRecordError` unless every one holds a valid event."""
    try:
        record = json.loads(body)
    except (ValueError, RecursionError):
        raise _UnusableRecordError("-", "not a Lambda on-failure record (not JSON)") from None
    payload = record.get("requestPayload") if isinstance(record, dict) else None
    if not isinstance(payload, dict) or "Records" not in payload:
        raise _UnusableRecordError("-", "not an SNS invocation: nothing to publish again")
    try:
        messages = read_sns_messages(payload)
    except MalformedEventError as error:
        raise _UnusableRecordError("-", "; ".join(error.problems)) from None
    valid = []
    for sns_message in messages:
        try:
            valid.append((sns_message, validated_event(sns_message)["id"]))
        except InvalidEventError as error:
            raise _UnusableRecordError(
                sns_message.message_id, "invalid invoice event: " + "; ".join(error.problems)
            ) from None
    return valid


def _publish_attributes(message: SnsMessage) -> dict[str, MessageAttributeValueTypeDef]:
    """Lambda's ``{Type, Value}`` message attributes as SNS ``Publish`` takes them."""
    attributes: dict[str, MessageAttributeValueTypeDef] = {}
    for name, attribute in message.attributes.items():
        kind, value = _type_and_value(attribute)
        if kind.startswith("Binary"):
            # Lambda's SNS event carries binary values base64-encoded.
            attributes[name] = {"DataType": kind, "BinaryValue": base64.b64decode(value)}
        else:
            attributes[name] = {"DataType": kind, "StringValue": value}
    return attributes


def _type_and_value(attribute: Any) -> tuple[str, str]:
    if isinstance(attribute, dict):
        return str(attribute.get("Type", "String")), str(attribute.get("Value", ""))
    return "String", str(attribute)
