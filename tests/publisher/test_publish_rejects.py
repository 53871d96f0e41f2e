"""Bad input gets a typed error and publishes nothing; SNS failures get a PublishError."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import pytest

from alexho_invoice_publisher import (
    DEFAULT_SOURCE,
    MAX_EVENT_BYTES,
    EventTooLargeError,
    InvalidInvoiceEventError,
    InvoiceEventPublisher,
    InvoiceEventTooLargeError,
    PublishError,
)
from alexho_invoice_runtime.contract import (
    InvalidEventError,
    build_event,
    encode_event,
    parse_event,
)
from tests.publisher.conftest import SnsTopic

VALID_DATA: dict[str, Any] = {"status": "SENT", "total": "10.00"}

BAD_EVENTS: list[Any] = [
    pytest.param("INVOICE_SENT", "", "cust-42", VALID_DATA, "$.subject", id="empty invoice id"),
    pytest.param("INVOICE_SENT", "inv-1", "", VALID_DATA, "$.customerid", id="empty customer id"),
    pytest.param("INVOICE_SENT", None, "cust-42", VALID_DATA, "$.subject", id="missing invoice id"),
    pytest.param("INVOICE_SENT", "inv-1", None, VALID_DATA, "$.customerid", id="missing customer"),
    pytest.param(
        "INVOICE_SENT", "inv 1", "cust-42", VALID_DATA, "$.subject", id="invoice id with a space"
    ),
    pytest.param(
        "INVOICE_SENT",
        "inv-1",
        "cust-42",
        {"status": "ARCHIVED"},
        "$.data.status",
        id="unknown status",
    ),
    pytest.param("INVOICE_SENT", "inv-1", "cust-42", {}, "$.data.status", id="missing status"),
    pytest.param(
        "INVOICE_DELETED", "inv-1", "cust-42", VALID_DATA, "$.type", id="unknown event type"
    ),
    pytest.param(
        "INVOICE_SENT",
        "inv-1",
        "cust-42",
        {**VALID_DATA, "due": datetime(2026, 12, 1)},
        "$.data",
        id="datetime in data",
    ),
    pytest.param(
        "INVOICE_SENT",
        "inv-1",
        "cust-42",
        {**VALID_DATA, "total": math.nan},
        "$.data",
        id="NaN in data",
    ),
    pytest.param(
        "INVOICE_SENT",
        "inv-1",
        "cust-42",
        {**VALID_DATA, "tags": {"a"}},
        "$.data",
        id="set in data",
    ),
    pytest.param("INVOICE_SENT", "inv-1", "cust-42", ["SENT"], "$.data", id="data not a mapping"),
    pytest.param(
        "INVOICE_SENT",
        "inv-1",
        "cust-42",
        {**VALID_DATA, "invoiceId": "inv-2"},
        "$.data.invoiceId",
        id="data names another invoice",
    ),
    pytest.param(
        "INVOICE_SENT",
        "inv-1",
        "cust-42",
        {**VALID_DATA, "version": -1},
        "$.data.version",
        id="negative version",
    ),
]


@pytest.mark.parametrize(("event_type", "invoice_id", "customer_id", "data", "path"), BAD_EVENTS)
def test_an_invalid_event_is_refused_and_nothing_is_published(
    sns_topic: SnsTopic,
    publisher: InvoiceEventPublisher,
    event_type: str,
    invoice_id: Any,
    customer_id: Any,
    data: Any,
    path: str,
) -> None:
    # GIVEN an event that breaks the contract
    # WHEN the backend publishes it
    with pytest.raises(InvalidInvoiceEventError) as caught:
        publisher.publish(event_type, invoice_id, customer_id, data)

    # THEN the error names the offending path (and is the contract's error too)
    assert any(problem.startswith(path) for problem in caught.value.problems), caught.value
    assert isinstance(caught.value, InvalidEventError)
    assert caught.value.index is None
    # AND the subscriber received nothing
    assert sns_topic.receive_all() == []


@pytest.mark.parametrize("event_id", ["bad id", "", "x" * 129])
def test_an_event_id_that_breaks_the_schema_is_refused(
    sns_topic: SnsTopic, publisher: InvoiceEventPublisher, event_id: str
) -> None:
    # GIVEN an event id with a space, an empty one, or one too long
    # WHEN it is published
    with pytest.raises(InvalidInvoiceEventError, match=r"\$\.id"):
        publisher.publish_invoice_sent("inv-1", "cust-42", VALID_DATA, event_id=event_id)

    # THEN nothing was published
    assert sns_topic.receive_all() == []


def test_a_naive_time_is_refused(sns_topic: SnsTopic, publisher: InvoiceEventPublisher) -> None:
    # GIVEN a datetime without a timezone (ambiguous: local time or UTC?)
    # WHEN it is published
    with pytest.raises(InvalidInvoiceEventError, match="timezone-aware"):
        publisher.publish_invoice_sent("inv-1", "cust-42", VALID_DATA, time=datetime(2026, 1, 1))

    # THEN nothing was published
    assert sns_topic.receive_all() == []


MOMENT = datetime.fromisoformat("2026-11-27T17:00:00+00:00")


def _data_of_encoded_size(size: int) -> dict[str, Any]:
    """Invoice data whose envelope (event id ``evt-1``, time ``MOMENT``) is ``size`` bytes."""
    probe = build_event(
        "INVOICE_SENT",
        "inv-1",
        "cust-42",
        {**VALID_DATA, "notes": ""},
        source=DEFAULT_SOURCE,
        event_id="evt-1",
        time=MOMENT,
    )
    return {**VALID_DATA, "notes": "x" * (size - len(encode_event(probe).encode()))}


def test_an_event_of_exactly_the_size_limit_is_published(
    sns_topic: SnsTopic, publisher: InvoiceEventPublisher
) -> None:
    # GIVEN invoice data that makes the envelope exactly MAX_EVENT_BYTES long
    data = _data_of_encoded_size(MAX_EVENT_BYTES)

    # WHEN it is published
    result = publisher.publish_invoice_sent("inv-1", "cust-42", data, event_id="evt-1", time=MOMENT)

    # THEN it is delivered whole
    [notification] = sns_topic.notifications()
    assert len(notification["Message"].encode()) == MAX_EVENT_BYTES
    assert parse_event(notification["Message"]) == result.event


def test_an_event_one_byte_over_the_limit_is_refused_without_its_data_in_the_error(
    sns_topic: SnsTopic, publisher: InvoiceEventPublisher
) -> None:
    # GIVEN invoice data that makes the envelope one byte too long for a client frame
    data = _data_of_encoded_size(MAX_EVENT_BYTES + 1)

    # WHEN it is published
    with pytest.raises(InvoiceEventTooLargeError) as caught:
        publisher.publish_invoice_sent("inv-1", "cust-42", data, event_id="evt-1", time=MOMENT)

    # THEN the error is the contract's size error, names the limit, and holds no data
    assert isinstance(caught.value, EventTooLargeError)
    assert str(MAX_EVENT_BYTES) in str(caught.value)
    assert "xxxx" not in str(caught.value)
    # AND nothing was published
    assert sns_topic.receive_all() == []


def test_a_missing_topic_raises_publish_error_with_the_aws_code(sns_topic: SnsTopic) -> None:
    # GIVEN a publisher for a topic that does not exist
    missing_arn = sns_topic.arn.rsplit(":", 1)[0] + ":no-such-topic"
    publisher = InvoiceEventPublisher(topic_arn=missing_arn)

    # WHEN it publishes a valid event
    with pytest.raises(PublishError) as caught:
        publisher.publish_invoice_sent("inv-1", "cust-42", VALID_DATA, event_id="evt-9")

    # THEN the error carries SNS's error code and the event id
    assert (caught.value.code, caught.value.event_id) == ("NotFound", "evt-9")
    assert "NotFound" in str(caught.value)
