"""Check 6, both dead-letter queues: messages waiting, the oldest one's age, how to redrive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from botocore.exceptions import BotoCoreError, ClientError

from alexho_invoice_ops.aws_errors import describe
from alexho_invoice_ops.results import CheckResult
from alexho_invoice_ops.target import CheckTarget, DeadLetterKind, DeadLetterQueue

KEY: Final = "dead_letters"
TITLE: Final = "Dead-letter queues"
REDRIVE_DOC: Final = "docs/operations.md#redriving-the-dead-letter-queues"


def check_dead_letters(target: CheckTarget) -> CheckResult:
    """Read each queue's counts (no message is received, so none changes state)."""
    sqs = target.client("sqs")
    parts: list[str] = []
    waiting: dict[str, int] = {}
    fixes: list[str] = []
    for queue in target.dead_letter_queues:
        try:
            attributes = sqs.get_queue_attributes(
                QueueUrl=queue.url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
        except (BotoCoreError, ClientError) as error:
            return CheckResult.failed(
                KEY,
                TITLE,
                f"cannot read the {queue.label} {queue.name}: {describe(error)}",
                "allow sqs:GetQueueAttributes on the stack's queues to the check's credentials",
            )
        count = int(attributes.get("ApproximateNumberOfMessages", 0)) + int(
            attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
        )
        waiting[queue.name] = count
        if count == 0:
            parts.append(f"{queue.label} empty")
            continue
        age = _oldest_age(target, queue)
        parts.append(f"{queue.label} {queue.name}: {count} waiting, oldest {age}")
        fixes.append(_redrive_hint(target, queue))
    summary = "; ".join(parts) or "no queues"
    if fixes:
        return CheckResult.failed(
            KEY,
            TITLE,
            summary,
            " ".join(fixes) + f" Details: {REDRIVE_DOC}.",
            waiting=waiting,
        )
    return CheckResult.passed(KEY, TITLE, summary, waiting=waiting)


def _oldest_age(target: CheckTarget, queue: DeadLetterQueue) -> str:
    """From CloudWatch's ``ApproximateAgeOfOldestMessage`` (AWS only)."""
    if target.is_local:
        return "unknown (no CloudWatch metrics locally)"
    now = datetime.now(UTC)
    try:
        points = target.client("cloudwatch").get_metric_statistics(
            Namespace="AWS/SQS",
            MetricName="ApproximateAgeOfOldestMessage",
            Dimensions=[{"Name": "QueueName", "Value": queue.name}],
            StartTime=now - timedelta(minutes=15),
            EndTime=now,
            Period=300,
            Statistics=["Maximum"],
        )["Datapoints"]
    except (BotoCoreError, ClientError) as error:
        return f"unknown ({describe(error)})"
    if not points:
        return "unknown (no datapoint in the last 15 min)"
    seconds = int(max(point["Maximum"] for point in points))
    return _duration(seconds)


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def _redrive_hint(target: CheckTarget, queue: DeadLetterQueue) -> str:
    if queue.kind is DeadLetterKind.SUBSCRIPTION:
        return (
            f"{queue.label} ({queue.catches}): fix the cause, then publish each message's body "
            f"again to {target.topic_arn} and delete it from the queue."
        )
    function = target.fanout_function or "the send-invoice-update function"
    return (
        f"{queue.label} ({queue.catches}): read the errorMessage of each record, fix the cause, "
        f"then invoke {function} again with the record's requestPayload "
        "(--invocation-type Event) and delete it from the queue."
    )
