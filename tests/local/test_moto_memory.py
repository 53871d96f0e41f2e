"""The local stack's moto keeps what lives and forgets the rest: no copy of a query result, no
deleted item, no consumed message stays in its process; a topic keeps its last messages, SNS its
last signing certificates and a queue its last deleted receipt handles; a table drops a
partition with its last item."""

from __future__ import annotations

import gc
import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends

from alexho_invoice_local.aws import moto_memory
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_runtime.definitions import event_log_table_definition

REGION = "eu-west-1"


def tracked_instances(endpoints: StackEndpoints, service: str, model: str) -> int:
    """How many instances of ``model`` moto's process holds (its dashboard's data)."""
    url = f"{endpoints.aws_endpoint_url}/moto-api/data.json"
    with urllib.request.urlopen(url, timeout=30) as answer:
        data: dict[str, dict[str, list[Any]]] = json.load(answer)
    return len(data.get(service, {}).get(model, []))


def table_rows(dynamodb: Any, *tables: str) -> int:
    return sum(dynamodb.scan(TableName=table, Select="COUNT")["Count"] for table in tables)


def test_the_stacks_moto_keeps_only_the_items_its_tables_hold(
    endpoints: StackEndpoints, dynamodb: Any
) -> None:
    tables = (endpoints.connections_table, endpoints.event_log_table, endpoints.revocations_table)
    # GIVEN rows written and deleted, and tables scanned (moto copies every item it returns)
    for n in range(20):
        key = {"connectionId": {"S": f"memory-test-{n}"}}
        dynamodb.put_item(TableName=endpoints.connections_table, Item=key)
        dynamodb.scan(TableName=endpoints.connections_table)
        if n % 2:
            dynamodb.delete_item(TableName=endpoints.connections_table, Key=key)
    # WHEN counting the items moto's process holds
    held = tracked_instances(endpoints, "dynamodb", "Item")
    # THEN they are the rows of the tables, not every copy and deleted row since the start
    assert held == table_rows(dynamodb, *tables)


@pytest.fixture
def changed_moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in this process, with the changes installed (the module's stack points
    ``AWS_ENDPOINT_URL`` at its own moto while it runs)."""
    assert moto_memory.install(), f"moto {moto_memory.CHECKED_MOTO_VERSION} is not installed"
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def sns(changed_moto: None) -> Any:
    return boto3.client("sns", region_name=REGION)


def test_a_topic_keeps_its_last_messages_only(sns: Any) -> None:
    topic_arn = sns.create_topic(Name="events")["TopicArn"]
    # WHEN more messages than kept are published
    for n in range(moto_memory.SENT_NOTIFICATIONS_KEPT + 20):
        sns.publish(TopicArn=topic_arn, Message=str(n))
    # THEN the topic remembers the last ones, in order
    account = topic_arn.split(":")[4]
    kept = sns_backends[account][REGION].topics[topic_arn].sent_notifications
    assert [int(message) for _, message, *_ in kept] == list(
        range(20, moto_memory.SENT_NOTIFICATIONS_KEPT + 20)
    )


@pytest.fixture
def queue_subscribed(sns: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str, Any]:
    """A topic with a queue subscribed as the stack subscribes its own (not raw: each message
    is signed), moto keeping 5 certificates and 5 deleted receipts: (topic, queue URL, SQS)."""
    monkeypatch.setattr(moto_memory, "SIGNING_CERTIFICATES_KEPT", 5)
    monkeypatch.setattr(moto_memory, "DELETED_RECEIPTS_KEPT", 5)
    sqs = boto3.client("sqs", region_name=REGION)
    topic_arn = sns.create_topic(Name="events")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="fan-out")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"])
    return topic_arn, queue_url, sqs


def consume(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Receive and delete every message waiting, in order."""
    consumed = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
        "Messages"
    ):
        for message in messages:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            consumed.append(message)
    return consumed


def test_sns_keeps_the_signing_certificates_of_its_last_deliveries_only(
    queue_subscribed: tuple[str, str, Any], sns: Any
) -> None:
    topic_arn, queue_url, sqs = queue_subscribed
    # WHEN more messages than certificates kept reach the queue
    for n in range(12):
        sns.publish(TopicArn=topic_arn, Message=str(n))
    signed = [json.loads(message["Body"])["SigningCertURL"] for message in consume(sqs, queue_url)]
    # THEN SNS serves the certificates of the last deliveries, the newest among them
    certificates = sns_backends[DEFAULT_ACCOUNT_ID][REGION]._message_public_keys
    assert len(certificates) == 5
    assert signed[-1].rsplit("/", 1)[-1] in certificates


def test_a_queue_keeps_its_last_deleted_receipts_and_a_repeated_delete_still_succeeds(
    queue_subscribed: tuple[str, str, Any],
) -> None:
    _, queue_url, sqs = queue_subscribed
    # GIVEN more messages deleted than receipts kept
    for n in range(12):
        sqs.send_message(QueueUrl=queue_url, MessageBody=str(n))
    receipts = [message["ReceiptHandle"] for message in consume(sqs, queue_url)]
    # THEN the queue remembers the last receipts only
    queue = sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues["fan-out"]
    assert len(receipts) == 12
    assert len(queue.deleted_messages) == 5
    # AND deleting the last message again succeeds, as on moto and SQS
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=receipts[-1])


def test_weakly_tracked_instances_leave_with_their_last_use() -> None:
    class Model:
        pass

    tracked = moto_memory.WeakInstances()
    kept, dropped = Model(), Model()
    tracked.append(kept)
    tracked.append(dropped)
    del dropped
    gc.collect()
    assert list(tracked) == [kept]
    assert len(tracked) == 1


def test_a_tracked_instance_adds_one_object_for_the_collector_to_walk() -> None:
    # GIVEN 1,000 live instances of a model
    class Model:
        pass

    models = [Model() for _ in range(1000)]
    tracked = moto_memory.WeakInstances()
    before = len(gc.get_objects())
    # WHEN they are tracked
    for model in models:
        tracked.append(model)
    # THEN the collector has one more object per instance (its weak reference), no closure
    # (a closure each was five: reference, function, cells and their tuple)
    assert len(models) <= len(gc.get_objects()) - before < len(models) + 10


@pytest.fixture
def event_log(changed_moto: None) -> tuple[Any, Table]:
    """An event-log table in :func:`changed_moto`: the client and moto's own model of it."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(**event_log_table_definition("partitions-event-log"))
    return dynamodb, dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table("partitions-event-log")


def marker_key(n: int) -> dict[str, Any]:
    return {"audience": {"S": f"EVENT#{n}"}, "cursor": {"S": "#marker"}}


def test_a_partition_goes_with_its_last_item(event_log: tuple[Any, Table]) -> None:
    dynamodb, table = event_log
    # GIVEN an id marker per event (a partition each) and two entries of one audience
    for n in range(50):
        dynamodb.put_item(TableName="partitions-event-log", Item=marker_key(n))
    for cursor in ("1", "2"):
        dynamodb.put_item(
            TableName="partitions-event-log",
            Item={"audience": {"S": "ADMIN"}, "cursor": {"S": cursor}},
        )
    # WHEN the markers expire and one entry of the audience is deleted
    for n in range(50):
        dynamodb.delete_item(TableName="partitions-event-log", Key=marker_key(n))
    dynamodb.delete_item(
        TableName="partitions-event-log", Key={"audience": {"S": "ADMIN"}, "cursor": {"S": "1"}}
    )
    # THEN moto holds the one partition that still has an item, not one per marker
    assert len(table.items) == 1
    # AND the table answers as before: the entry left, no marker, a marker put again
    assert dynamodb.scan(TableName="partitions-event-log")["Items"] == [
        {"audience": {"S": "ADMIN"}, "cursor": {"S": "2"}}
    ]
    dynamodb.put_item(TableName="partitions-event-log", Item=marker_key(7))
    assert dynamodb.get_item(TableName="partitions-event-log", Key=marker_key(7))[
        "Item"
    ] == marker_key(7)
    assert "Item" not in dynamodb.get_item(TableName="partitions-event-log", Key=marker_key(8))
