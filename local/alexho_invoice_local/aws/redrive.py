"""Redrive: publish the valid events of the on-failure queue back to the topic.

The on-failure queue holds Lambda's on-failure records; each carries the SNS event the fan-out
function failed on (``requestPayload``). Only a record this stack's fan-out function wrote is
used: its ``requestContext.functionArn`` names that function (``<prefix>SendInvoiceUpdate``
beside the topic ``<prefix>InvoiceEvents``, same account, region and suffix), its condition is
one Lambda writes, and every SNS record in it came from this stack's topic. A record whose SNS
messages all pass the runtime's own check
(:func:`~alexho_invoice_runtime.fanout.sns_records.validated_event`: the envelope's contract,
the probe shape and the message attributes) is published again — the original body and only its
two attributes, ``eventType`` and ``customerId``, taken from the validated envelope, never the
record's other attributes — then deleted from the queue. Any other record stays, visible again
at once, with a one-line reason (paths and rules, never values). Republishing keeps the event
id: the event log keeps its cursor and clients de-duplicate, so a redrive that runs twice
delivers nothing twice to a client that de-duplicates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from alexho_invoice_runtime.contract import InvalidEventError, InvoiceEvent
from alexho_invoice_runtime.definitions import (
    CUSTOMER_ID_MESSAGE_ATTRIBUTE,
    EVENT_TYPE_MESSAGE_ATTRIBUTE,
    TOPIC_BASE_NAME,
    FunctionBaseNames,
)
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
#: ``requestContext.condition`` values of Lambda's on-failure records for asynchronous invocations.
_LAMBDA_CONDITIONS: Final = frozenset({"RetriesExhausted", "EventAgeExceeded"})


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
    function_arn = fan_out_function_arn(topic_arn)
    for message in _read_all(sqs, queue_url):
        receipt = message["ReceiptHandle"]
        try:
            valid = _valid_messages(message.get("Body", ""), function_arn, topic_arn)
        except _UnusableRecordError as error:
            report.left.append(LeftInQueue(message["MessageId"], error.sns_message_id, str(error)))
            sqs.change_message_visibility(
                QueueUrl=queue_url, ReceiptHandle=receipt, VisibilityTimeout=0
            )
            continue
        for sns_message, event in valid:
            sns.publish(
                TopicArn=topic_arn,
                Message=sns_message.body,
                MessageAttributes=_publish_attributes(event),
            )
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=receipt)
        report.redriven += [event["id"] for _, event in valid]
    return report


def fan_out_function_arn(topic_arn: str) -> str:
    """The ARN of the fan-out function of the stack whose topic is ``topic_arn`` (physical names
    are ``<prefix><base name>[-<suffix>]``, docs/architecture.md §1)."""
    parts = topic_arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sns" or TOPIC_BASE_NAME not in parts[5]:
        raise ValueError("topic_arn must be the ARN of this stack's invoice events topic")
    partition, region, account, name = parts[1], parts[3], parts[4], parts[5]
    prefix, _, suffix = name.rpartition(TOPIC_BASE_NAME)
    function = f"{prefix}{FunctionBaseNames.SEND_INVOICE_UPDATE}{suffix}"
    return f"arn:{partition}:lambda:{region}:{account}:function:{function}"


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


def _valid_messages(
    body: str, function_arn: str, topic_arn: str
) -> list[tuple[SnsMessage, InvoiceEvent]]:
    """The SNS messages of an on-failure record of ``function_arn`` with their events; raises
    :class:`_UnusableRecordError` unless the record is one that function wrote and every
    message came from ``topic_arn`` and holds a valid event."""
    try:
        record = json.loads(body)
    except (ValueError, RecursionError):
        raise _UnusableRecordError("-", "not a Lambda on-failure record (not JSON)") from None
    if not _written_by(record, function_arn):
        raise _UnusableRecordError("-", "not an on-failure record of this stack's fan-out function")
    payload = record.get("requestPayload") if isinstance(record, dict) else None
    if not isinstance(payload, dict) or "Records" not in payload:
        raise _UnusableRecordError("-", "not an SNS invocation: nothing to publish again")
    try:
        messages = read_sns_messages(payload)
    except MalformedEventError as error:
        raise _UnusableRecordError("-", "; ".join(error.problems)) from None
    valid = []
    for sns_message in messages:
        if sns_message.topic_arn != topic_arn:
            raise _UnusableRecordError(
                sns_message.message_id, "not published to this stack's topic"
            )
        try:
            valid.append((sns_message, validated_event(sns_message)))
        except InvalidEventError as error:
            raise _UnusableRecordError(
                sns_message.message_id, "invalid invoice event: " + "; ".join(error.problems)
            ) from None
    return valid


def _written_by(record: object, function_arn: str) -> bool:
    """Whether ``record`` has the shape of Lambda's on-failure record for ``function_arn``
    (any version or alias qualifier)."""
    if not isinstance(record, dict):
        return False
    context = record.get("requestContext")
    if not isinstance(context, dict) or context.get("condition") not in _LAMBDA_CONDITIONS:
        return False
    arn = context.get("functionArn")
    return isinstance(arn, str) and (arn == function_arn or arn.startswith(function_arn + ":"))


def _publish_attributes(event: InvoiceEvent) -> dict[str, MessageAttributeValueTypeDef]:
    """The two message attributes every event is published with, from the validated envelope."""
    return {
        EVENT_TYPE_MESSAGE_ATTRIBUTE: {"DataType": "String", "StringValue": event["type"]},
        CUSTOMER_ID_MESSAGE_ATTRIBUTE: {"DataType": "String", "StringValue": event["customerid"]},
    }
