"""Lambda's SNS event, rebuilt from the notification JSON that SNS delivers to an SQS queue."""

from __future__ import annotations

import json
from typing import Any


class NotSnsNotificationError(ValueError):
    """An SQS message body that is not an SNS notification."""


def parse_notification(body: str) -> dict[str, Any]:
    """Decode an SNS notification (the body of a non-raw SNS → SQS delivery)."""
    try:
        notification = json.loads(body)
    except ValueError:
        raise NotSnsNotificationError("the message body is not JSON") from None
    if not isinstance(notification, dict) or notification.get("Type") != "Notification":
        raise NotSnsNotificationError("the message body is not an SNS notification")
    if not isinstance(notification.get("Message"), str):
        raise NotSnsNotificationError("the SNS notification has no Message")
    return notification


def sns_lambda_event(notification: dict[str, Any], subscription_arn: str) -> dict[str, Any]:
    """The event Lambda passes to a function subscribed to the topic (one record)."""
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "Sns": {
                    "Type": "Notification",
                    "MessageId": notification.get("MessageId"),
                    "TopicArn": notification.get("TopicArn"),
                    "Subject": notification.get("Subject"),
                    "Message": notification["Message"],
                    "Timestamp": notification.get("Timestamp"),
                    "SignatureVersion": notification.get("SignatureVersion"),
                    "Signature": notification.get("Signature"),
                    # Lambda's record spells these "Url", the notification JSON "URL".
                    "SigningCertUrl": notification.get("SigningCertURL"),
                    "UnsubscribeUrl": notification.get("UnsubscribeURL"),
                    "MessageAttributes": notification.get("MessageAttributes") or {},
                },
            }
        ]
    }
