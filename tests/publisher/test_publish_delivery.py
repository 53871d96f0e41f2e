"""What a subscriber receives: the envelope and attributes the runtime expects, per event type."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from alexho_invoice_publisher import EventType, InvoiceEventPublisher, PublishResult
from alexho_invoice_runtime.contract import encode_event, parse_event
from tests.publisher.conftest import SnsTopic

INVOICE_ID = "inv-123"
CUSTOMER_ID = "cust-42"

PUBLISH_METHODS = [
    ("publish_invoice_created", EventType.INVOICE_CREATED, "DRAFT"),
    ("publish_invoice_updated", EventType.INVOICE_UPDATED, "DRAFT"),
    ("publish_invoice_sent", EventType.INVOICE_SENT, "SENT"),
    ("publish_invoice_paid", EventType.INVOICE_PAID, "PAID"),
    ("publish_payment_recorded", EventType.PAYMENT_RECORDED, "PARTIALLY_PAID"),
]


def _invoice(status: str) -> dict[str, Any]:
    return {"status": status, "version": 7, "total": "1250.00", "currency": "EUR", "lines": 3}


@pytest.mark.parametrize(("method", "event_type", "status"), PUBLISH_METHODS)
def test_each_event_type_reaches_a_subscriber_as_the_runtime_expects(
    sns_topic: SnsTopic,
    publisher: InvoiceEventPublisher,
    method: str,
    event_type: EventType,
    status: str,
) -> None:
    # GIVEN a publisher on a topic with an SQS subscriber
    # WHEN the backend publishes one event of this type
    result: PublishResult = getattr(publisher, method)(INVOICE_ID, CUSTOMER_ID, _invoice(status))

    # THEN the subscriber receives exactly that envelope, valid for the runtime's parser,
    [notification] = sns_topic.notifications()
    received = parse_event(notification["Message"])
    assert received == result.event
    assert notification["MessageId"] == result.message_id
    assert received["id"] == result.event_id
    assert received["type"] == event_type.value
    assert (received["subject"], received["customerid"]) == (INVOICE_ID, CUSTOMER_ID)
    assert received["data"] == {
        **_invoice(status),
        "invoiceId": INVOICE_ID,
        "customerId": CUSTOMER_ID,
    }
    assert received["source"] == "invoice-service"
    # AND the eventType and customerId String attributes
    assert notification["MessageAttributes"] == {
        "eventType": {"Type": "String", "Value": event_type.value},
        "customerId": {"Type": "String", "Value": CUSTOMER_ID},
    }


def test_raw_delivery_carries_the_canonical_envelope_and_string_attributes(
    sns_topic: SnsTopic, publisher: InvoiceEventPublisher
) -> None:
    # GIVEN a subscriber with raw message delivery
    raw_url = sns_topic.subscribe_queue("raw-subscriber", raw=True)

    # WHEN an invoice is sent
    result = publisher.publish_invoice_sent(INVOICE_ID, CUSTOMER_ID, _invoice("SENT"))

    # THEN the SQS body is the envelope's canonical JSON and the attributes are SQS attributes
    [message] = sns_topic.receive_all(raw_url)
    assert message["Body"] == encode_event(result.event)
    assert message["MessageAttributes"] == {
        "eventType": {"DataType": "String", "StringValue": "INVOICE_SENT"},
        "customerId": {"DataType": "String", "StringValue": CUSTOMER_ID},
    }


def test_a_filter_policy_on_event_type_selects_only_those_types(
    sns_topic: SnsTopic, publisher: InvoiceEventPublisher
) -> None:
    # GIVEN a subscriber that wants payments only
    payments_url = sns_topic.subscribe_queue(
        "payments", filter_policy={"eventType": ["INVOICE_PAID", "PAYMENT_RECORDED"]}
    )

    # WHEN one event of each type is published
    results = {
        event_type: getattr(publisher, method)(INVOICE_ID, CUSTOMER_ID, _invoice(status))
        for method, event_type, status in PUBLISH_METHODS
    }

    # THEN that subscriber gets exactly the two payment events, the unfiltered one all five
    received = {parse_event(n["Message"])["id"] for n in sns_topic.notifications(payments_url)}
    assert received == {
        results[EventType.INVOICE_PAID].event_id,
        results[EventType.PAYMENT_RECORDED].event_id,
    }
    assert len(sns_topic.notifications()) == len(PUBLISH_METHODS)


def test_a_filter_policy_on_customer_id_selects_only_that_customer(
    sns_topic: SnsTopic, publisher: InvoiceEventPublisher
) -> None:
    # GIVEN a subscriber for customer cust-42 only
    customer_url = sns_topic.subscribe_queue("cust-42", filter_policy={"customerId": [CUSTOMER_ID]})

    # WHEN invoices of cust-42 and of another customer are sent
    mine = publisher.publish_invoice_sent("inv-1", CUSTOMER_ID, _invoice("SENT"))
    publisher.publish_invoice_sent("inv-2", "cust-7", _invoice("SENT"))

    # THEN only cust-42's event reaches it
    [notification] = sns_topic.notifications(customer_url)
    assert parse_event(notification["Message"])["id"] == mine.event_id


def test_generic_publish_takes_the_event_type_by_name(
    sns_topic: SnsTopic, publisher: InvoiceEventPublisher
) -> None:
    # GIVEN an event type spelled as on the wire
    # WHEN it is published through the generic method
    result = publisher.publish("INVOICE_UPDATED", INVOICE_ID, CUSTOMER_ID, _invoice("SENT"))

    # THEN the envelope has that type
    [notification] = sns_topic.notifications()
    assert json.loads(notification["Message"])["type"] == "INVOICE_UPDATED"
    assert result.event["type"] == "INVOICE_UPDATED"


def test_a_given_event_id_and_time_are_kept(
    sns_topic: SnsTopic, publisher: InvoiceEventPublisher
) -> None:
    # GIVEN an event id from the backend's outbox and the time of the change
    moment = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)

    # WHEN the event is published with them
    publisher.publish_invoice_paid(
        INVOICE_ID, CUSTOMER_ID, _invoice("PAID"), event_id="outbox-991", time=moment
    )

    # THEN the envelope carries them (time in RFC 3339 UTC)
    [notification] = sns_topic.notifications()
    received = parse_event(notification["Message"])
    assert (received["id"], received["time"]) == ("outbox-991", "2026-11-27T17:00:00.000Z")


def test_a_custom_source_names_the_backend(sns_topic: SnsTopic) -> None:
    # GIVEN a publisher for a billing service
    publisher = InvoiceEventPublisher(topic_arn=sns_topic.arn, source="billing-service")

    # WHEN it publishes
    publisher.publish_invoice_created(INVOICE_ID, CUSTOMER_ID, _invoice("DRAFT"))

    # THEN the envelope's source is that service
    [notification] = sns_topic.notifications()
    assert parse_event(notification["Message"])["source"] == "billing-service"
