"""Fixtures of the publisher tests: moto SNS with SQS subscribers, a publisher on the topic.

``sns_topic`` starts moto in process and creates the invoice events topic with one SQS queue
subscribed (SNS notification envelope, not raw); tests add queues with other delivery settings or
filter policies. Every message a queue received can be drained with ``receive_all``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from alexho_invoice_publisher import InvoiceEventPublisher

TOPIC_NAME = "alexHoInvoiceEvents-test"


@dataclass(frozen=True)
class SnsTopic:
    """A moto topic, its clients and the queue subscribed to it by default."""

    arn: str
    sns: Any
    sqs: Any
    subscriber_url: str

    def subscribe_queue(
        self, name: str, *, raw: bool = False, filter_policy: dict[str, Any] | None = None
    ) -> str:
        """Create queue ``name``, subscribe it to the topic and return its URL."""
        url: str = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        attributes = {"RawMessageDelivery": "true" if raw else "false"}
        if filter_policy is not None:
            attributes["FilterPolicy"] = json.dumps(filter_policy)
        self.sns.subscribe(
            TopicArn=self.arn, Protocol="sqs", Endpoint=queue_arn, Attributes=attributes
        )
        return url

    def receive_all(self, queue_url: str | None = None) -> list[dict[str, Any]]:
        """Every message the queue (default: the default subscriber) holds, drained."""
        url = queue_url or self.subscriber_url
        messages: list[dict[str, Any]] = []
        while True:
            batch = self.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
            ).get("Messages", [])
            if not batch:
                return messages
            messages.extend(batch)

    def notifications(self, queue_url: str | None = None) -> list[dict[str, Any]]:
        """The SNS notifications (decoded bodies) a non-raw subscriber queue received."""
        return [json.loads(message["Body"]) for message in self.receive_all(queue_url)]


def create_sns_topic() -> SnsTopic:
    """Create the topic and its default non-raw SQS subscriber (inside a moto session)."""
    sns = boto3.client("sns")
    sqs = boto3.client("sqs")
    arn = sns.create_topic(Name=TOPIC_NAME)["TopicArn"]
    topic = SnsTopic(arn=arn, sns=sns, sqs=sqs, subscriber_url="")
    return replace(topic, subscriber_url=topic.subscribe_queue("subscriber"))


@pytest.fixture
def sns_topic() -> Iterator[SnsTopic]:
    """moto for the test's duration, with the topic and one non-raw SQS subscriber."""
    with mock_aws():
        yield create_sns_topic()


@pytest.fixture
def publisher(sns_topic: SnsTopic) -> InvoiceEventPublisher:
    """A publisher on the moto topic, with its own boto3 client."""
    return InvoiceEventPublisher(topic_arn=sns_topic.arn)
