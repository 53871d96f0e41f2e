"""``redrive`` publishes again only what this stack's fan-out function dead-lettered, and only
the original body with its two message attributes (moto SQS and SNS, in process)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from alexho_invoice_local.aws.redrive import fan_out_function_arn, redrive
from alexho_invoice_runtime.contract import build_event, encode_event

REGION = "eu-central-1"


@dataclass
class Queues:
    sqs: Any
    sns: Any
    topic_arn: str
    on_failure_url: str
    #: A raw-delivery subscriber of the topic: what the redrive published.
    published_url: str


@pytest.fixture
def queues(monkeypatch: pytest.MonkeyPatch) -> Iterator[Queues]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        sqs, sns = boto3.client("sqs"), boto3.client("sns")
        topic_arn = sns.create_topic(Name="alexHoInvoiceEvents-test")["TopicArn"]
        on_failure_url = sqs.create_queue(QueueName="on-failure")["QueueUrl"]
        published_url = sqs.create_queue(QueueName="published")["QueueUrl"]
        published_arn = sqs.get_queue_attributes(
            QueueUrl=published_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=published_arn,
            Attributes={"RawMessageDelivery": "true"},
        )
        yield Queues(sqs, sns, topic_arn, on_failure_url, published_url)


def on_failure_record(
    body: str, attributes: dict[str, Any], *, function_arn: str, topic_arn: str
) -> str:
    """Lambda's on-failure record of an SNS invocation of ``function_arn``."""
    return json.dumps(
        {
            "version": "1.0",
            "requestContext": {
                "requestId": "r-1",
                "functionArn": f"{function_arn}:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": 3,
            },
            "requestPayload": {
                "Records": [
                    {
                        "EventSource": "aws:sns",
                        "Sns": {
                            "MessageId": "m-1",
                            "TopicArn": topic_arn,
                            "Message": body,
                            "MessageAttributes": attributes,
                        },
                    }
                ]
            },
            "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
            "responsePayload": {"errorMessage": "boom"},
        }
    )


def published(queues: Queues) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = queues.sqs.receive_message(
        QueueUrl=queues.published_url,
        MaxNumberOfMessages=10,
        MessageAttributeNames=["All"],
    ).get("Messages", [])
    return messages


EVENT = build_event("INVOICE_SENT", "inv-1", "cust-1", {"status": "SENT"}, source="test")
ATTRIBUTES = {
    "eventType": {"Type": "String", "Value": "INVOICE_SENT"},
    "customerId": {"Type": "String", "Value": "cust-1"},
}


def test_the_fan_out_functions_record_is_republished_with_its_body_and_two_attributes_only(
    queues: Queues,
) -> None:
    # GIVEN a record of this stack's fan-out function whose message carries a third attribute
    record = on_failure_record(
        encode_event(EVENT),
        {**ATTRIBUTES, "x-forwarded": {"Type": "String", "Value": "smuggled"}},
        function_arn=fan_out_function_arn(queues.topic_arn),
        topic_arn=queues.topic_arn,
    )
    queues.sqs.send_message(QueueUrl=queues.on_failure_url, MessageBody=record)
    # WHEN the queue is redriven
    report = redrive(queues.sqs, queues.sns, queues.on_failure_url, queues.topic_arn)
    # THEN the event is published again, body unchanged, with eventType and customerId only
    assert report.redriven == [EVENT["id"]]
    [message] = published(queues)
    assert message["Body"] == encode_event(EVENT)
    assert {name: value["StringValue"] for name, value in message["MessageAttributes"].items()} == {
        "eventType": "INVOICE_SENT",
        "customerId": "cust-1",
    }


@pytest.mark.parametrize(
    ("function_name", "topic_from"),
    [
        pytest.param("alexHoSomethingElse-test", "stack", id="another-function"),
        pytest.param("alexHoSendInvoiceUpdate-other", "stack", id="another-stacks-function"),
        pytest.param(None, "elsewhere", id="another-topic"),
    ],
)
def test_a_record_this_stacks_fan_out_did_not_write_stays_in_the_queue(
    queues: Queues, function_name: str | None, topic_from: str
) -> None:
    # GIVEN a well-formed event in a record of another function, or from another topic
    own = fan_out_function_arn(queues.topic_arn)
    function_arn = own if function_name is None else own.rsplit(":", 1)[0] + ":" + function_name
    topic_arn = queues.topic_arn if topic_from == "stack" else queues.topic_arn + "-elsewhere"
    record = on_failure_record(
        encode_event(EVENT), ATTRIBUTES, function_arn=function_arn, topic_arn=topic_arn
    )
    queues.sqs.send_message(QueueUrl=queues.on_failure_url, MessageBody=record)
    # WHEN the queue is redriven
    report = redrive(queues.sqs, queues.sns, queues.on_failure_url, queues.topic_arn)
    # THEN nothing is published and the record stays, with its reason
    assert report.redriven == []
    assert len(report.left) == 1
    assert published(queues) == []


def test_the_fan_out_function_is_named_beside_the_topic() -> None:
    topic = "arn:aws:sns:eu-central-1:123456789012:acmeInvoiceEvents-prod"
    assert fan_out_function_arn(topic) == (
        "arn:aws:lambda:eu-central-1:123456789012:function:acmeSendInvoiceUpdate-prod"
    )
