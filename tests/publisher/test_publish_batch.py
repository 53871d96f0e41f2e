"""publish_batch: all-or-nothing validation, PublishBatch calls within SNS limits, per-entry
results in input order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from alexho_invoice_publisher import (
    BatchItem,
    BatchPublishError,
    InvalidInvoiceEventError,
    InvoiceEventPublisher,
    PublishFailure,
    PublishResult,
)
from alexho_invoice_runtime.contract import parse_event
from tests.publisher.conftest import SnsTopic

SNS_BATCH_PAYLOAD_LIMIT = 256 * 1024


def _items(count: int, **data: Any) -> list[BatchItem]:
    return [
        BatchItem("INVOICE_SENT", f"inv-{index}", "cust-42", {"status": "SENT", **data})
        for index in range(count)
    ]


@pytest.fixture
def publisher(sns_topic: SnsTopic) -> InvoiceEventPublisher:
    """A publisher using the test's SNS client, so its calls can be observed."""
    return InvoiceEventPublisher(topic_arn=sns_topic.arn, sns_client=sns_topic.sns)


@pytest.fixture
def batch_calls(sns_topic: SnsTopic) -> Iterator[list[list[dict[str, Any]]]]:
    """The entries of every PublishBatch call made with the test's SNS client, as sent."""
    calls: list[list[dict[str, Any]]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        calls.append(params["PublishBatchRequestEntries"])

    events = sns_topic.sns.meta.events
    events.register("provide-client-params.sns.PublishBatch", record)
    yield calls
    events.unregister("provide-client-params.sns.PublishBatch", record)


def test_23_events_go_out_in_3_calls_with_results_in_input_order(
    sns_topic: SnsTopic,
    publisher: InvoiceEventPublisher,
    batch_calls: list[list[dict[str, Any]]],
) -> None:
    # GIVEN 23 invoice events
    items = _items(23)

    # WHEN they are published as a batch
    result = publisher.publish_batch(items)

    # THEN SNS got 3 PublishBatch calls of 10, 10 and 3 entries
    assert [len(entries) for entries in batch_calls] == [10, 10, 3]
    # AND every entry succeeded, reported in input order
    assert result.ok
    assert len(result) == 23
    assert [entry.event["subject"] for entry in result.entries] == [f"inv-{i}" for i in range(23)]
    # AND the subscriber received exactly those events under those message ids
    notifications = sns_topic.notifications()
    received = {n["MessageId"]: parse_event(n["Message"]) for n in notifications}
    assert received == {entry.message_id: entry.event for entry in result.successful}


def test_one_invalid_item_publishes_nothing_and_names_its_index(
    sns_topic: SnsTopic,
    publisher: InvoiceEventPublisher,
    batch_calls: list[list[dict[str, Any]]],
) -> None:
    # GIVEN 23 events of which item 17 has an unknown status
    items = _items(23)
    items[17] = BatchItem("INVOICE_SENT", "inv-17", "cust-42", {"status": "LOST"})

    # WHEN they are published as a batch
    with pytest.raises(InvalidInvoiceEventError) as caught:
        publisher.publish_batch(items)

    # THEN the error names item 17 and its problem
    assert caught.value.index == 17
    assert str(caught.value).startswith("batch item 17: ")
    assert any(p.startswith("$.data.status") for p in caught.value.problems)
    # AND no PublishBatch call was made, no message delivered
    assert batch_calls == []
    assert sns_topic.receive_all() == []


def test_a_repeated_event_id_publishes_nothing(
    sns_topic: SnsTopic, publisher: InvoiceEventPublisher
) -> None:
    # GIVEN two items with the same event id (clients would drop the second as a duplicate)
    items = [
        BatchItem("INVOICE_SENT", "inv-1", "cust-42", {"status": "SENT"}, event_id="evt-1"),
        BatchItem("INVOICE_PAID", "inv-1", "cust-42", {"status": "PAID"}, event_id="evt-1"),
    ]

    # WHEN they are published as a batch
    with pytest.raises(InvalidInvoiceEventError, match="batch item 0") as caught:
        publisher.publish_batch(items)

    # THEN the second item is named and nothing was published
    assert caught.value.index == 1
    assert sns_topic.receive_all() == []


def test_an_item_that_is_not_a_batch_item_publishes_nothing(
    sns_topic: SnsTopic, publisher: InvoiceEventPublisher
) -> None:
    # GIVEN a list with a plain dict among the items
    items: list[Any] = [*_items(2), {"invoice_id": "inv-9"}]

    # WHEN it is published as a batch
    with pytest.raises(InvalidInvoiceEventError) as caught:
        publisher.publish_batch(items)

    # THEN the item is named and nothing was published
    assert caught.value.index == 2
    assert sns_topic.receive_all() == []


def test_large_events_are_split_to_respect_the_256_kib_payload_per_call(
    sns_topic: SnsTopic,
    publisher: InvoiceEventPublisher,
    batch_calls: list[list[dict[str, Any]]],
) -> None:
    # GIVEN five events of about 100 KB each (within the per-event limit)
    items = _items(5, notes="n" * 100_000)

    # WHEN they are published as a batch
    result = publisher.publish_batch(items)

    # THEN no call carried more than 256 KiB of messages, so SNS took them all
    assert [len(entries) for entries in batch_calls] == [2, 2, 1]
    for entries in batch_calls:
        assert sum(len(entry["Message"].encode()) for entry in entries) < SNS_BATCH_PAYLOAD_LIMIT
    assert result.ok
    assert len(sns_topic.receive_all()) == 5


def test_an_empty_batch_makes_no_call(
    publisher: InvoiceEventPublisher, batch_calls: list[list[dict[str, Any]]]
) -> None:
    # GIVEN no events
    # WHEN an empty batch is published
    result = publisher.publish_batch([])

    # THEN nothing is sent and the result is empty and ok
    assert (len(result), result.ok, batch_calls) == (0, True, [])
    assert result.raise_for_failures() is result


def test_a_failed_call_marks_each_of_its_entries_failed(sns_topic: SnsTopic) -> None:
    # GIVEN a publisher for a topic that does not exist
    publisher = InvoiceEventPublisher(topic_arn=sns_topic.arn.rsplit(":", 1)[0] + ":missing")

    # WHEN 12 events are published as a batch
    result = publisher.publish_batch(_items(12))

    # THEN every entry failed with SNS's error code, in input order
    assert [type(entry) for entry in result.entries] == [PublishFailure] * 12
    assert {(entry.code, entry.sender_fault) for entry in result.failed} == {("NotFound", True)}
    assert [entry.event["subject"] for entry in result.failed] == [f"inv-{i}" for i in range(12)]
    # AND raise_for_failures turns that into one error carrying them all
    with pytest.raises(BatchPublishError) as caught:
        result.raise_for_failures()
    assert caught.value.code == "NotFound"
    assert caught.value.failures == result.failed


def test_entries_sns_refuses_are_reported_next_to_the_accepted_ones() -> None:
    # GIVEN an SNS that accepts entry 0 and refuses entry 1 of a PublishBatch call
    client = boto3.client("sns", region_name="eu-west-1")
    topic_arn = "arn:aws:sns:eu-west-1:123456789012:alexHoInvoiceEvents-test"
    publisher = InvoiceEventPublisher(topic_arn=topic_arn, sns_client=client)
    with Stubber(client) as sns:
        sns.add_response(
            "publish_batch",
            {
                "Successful": [{"Id": "0", "MessageId": "msg-0"}],
                "Failed": [
                    {"Id": "1", "Code": "InternalError", "Message": "retry", "SenderFault": False}
                ],
            },
        )

        # WHEN two events are published as a batch
        result = publisher.publish_batch(_items(2))

    # THEN the results say which went out and which did not, in input order
    accepted, refused = result.entries
    assert isinstance(accepted, PublishResult)
    assert accepted.message_id == "msg-0"
    assert isinstance(refused, PublishFailure)
    assert (refused.code, refused.message, refused.sender_fault) == (
        "InternalError",
        "retry",
        False,
    )
    assert refused.event["subject"] == "inv-1"
    assert (result.successful, result.failed) == ((accepted,), (refused,))
    with pytest.raises(BatchPublishError, match="1 batch entry failed"):
        result.raise_for_failures()
