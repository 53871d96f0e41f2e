"""The local stack's moto keeps what lives and forgets the rest: no copy of a query result, no
deleted item, no consumed message stays in its process, and a topic keeps its last messages."""

from __future__ import annotations

import gc
import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.sns.models import sns_backends

from alexho_invoice_local.aws import moto_memory
from alexho_invoice_local.endpoints import StackEndpoints

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
def sns(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto in this process, with the changes installed (the module's stack points
    ``AWS_ENDPOINT_URL`` at its own moto while it runs)."""
    assert moto_memory.install(), f"moto {moto_memory.CHECKED_MOTO_VERSION} is not installed"
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.client("sns", region_name=REGION)


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
