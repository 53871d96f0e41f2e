"""The send-invoice-update handler end to end: moto tables, real botocore clients, and a
loopback ``@connections`` endpoint."""

from __future__ import annotations

import json

import boto3
import pytest

from alexho_invoice_runtime.aws import clients
from alexho_invoice_runtime.contract import encode_event
from alexho_invoice_runtime.event_log import EventLog, is_cursor
from alexho_invoice_runtime.fanout.sns_records import MalformedEventError
from alexho_invoice_runtime.handlers import send_invoice_update
from tests.runtime.conftest import AwsTables
from tests.runtime.events import sns_event
from tests.runtime.fake_management_api import ManagementEndpoint
from tests.runtime.fanout_support import (
    add_connections,
    admin,
    customer,
    invoice_event,
    invoke,
)
from tests.runtime.log_capture import captured_logs

SECRET_NOTE = "payload-marker-7d1e"


def test_event_reaches_admins_and_its_customer_only(
    aws: AwsTables, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN two admins, two connections of customer cust-42 and one of another customer
    admins = add_connections(aws.connections, [admin("a1"), admin("a2")])
    own = add_connections(aws.connections, [customer("cust-42"), customer("cust-42", "u2")])
    other = add_connections(aws.connections, [customer("cust-7")])
    # WHEN a sent invoice of cust-42 is published
    totals = invoke(invoice_event("cust-42", status="SENT"))
    # THEN exactly the admins and cust-42's connections receive it
    assert sorted(management_endpoint.recipients()) == sorted(admins + own)
    assert not set(other) & set(management_endpoint.recipients())
    assert totals["delivered"] == totals["recipients"] == 4


def test_draft_reaches_admins_only(aws: AwsTables, management_endpoint: ManagementEndpoint) -> None:
    # GIVEN an admin and a connection of the invoice's customer
    admins = add_connections(aws.connections, [admin()])
    add_connections(aws.connections, [customer("cust-42")])
    # WHEN a draft invoice of that customer is created
    invoke(invoice_event("cust-42", status="DRAFT", event_type="INVOICE_CREATED"))
    # THEN only the admin receives it
    assert management_endpoint.recipients() == admins


def test_frame_carries_cursor_and_unchanged_envelope(
    aws: AwsTables, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN one admin connection
    [connection_id] = add_connections(aws.connections, [admin()])
    event = invoice_event(amount="12.50", lines=[{"sku": "ä-1", "qty": 2}])
    # WHEN the event is delivered
    invoke(event)
    # THEN the admin gets one event frame with a cursor and the envelope as published
    [frame] = management_endpoint.messages_for(connection_id)
    assert frame["type"] == "event"
    assert is_cursor(frame["cursor"])
    assert frame["event"] == event


def test_event_is_logged_for_resume_under_the_posted_cursor(
    aws: AwsTables, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN a customer connection
    [connection_id] = add_connections(aws.connections, [customer("cust-42")])
    event = invoice_event("cust-42")
    # WHEN the event is delivered
    invoke(event)
    # THEN both audiences' logs hold it under the cursor the client received
    [frame] = management_endpoint.messages_for(connection_id)
    log = EventLog(clients.event_log_table(), aws.retention_seconds)
    assert log.read_after("CUSTOMER#cust-42", None, 10) == [(frame["cursor"], event)]
    assert log.read_after("ADMIN", None, 10) == [(frame["cursor"], event)]


def test_redelivered_event_is_posted_again_with_the_same_cursor(
    aws: AwsTables, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN an admin connection and an event already delivered once
    [connection_id] = add_connections(aws.connections, [admin()])
    event = invoice_event()
    invoke(event)
    # WHEN SNS (or a Lambda retry) delivers the same event again
    invoke(event)
    # THEN the client gets it twice under one cursor and id (it de-duplicates by id)
    frames = management_endpoint.messages_for(connection_id)
    assert [f["event"]["id"] for f in frames] == [event["id"], event["id"]]
    assert frames[0]["cursor"] == frames[1]["cursor"]


def test_every_record_of_the_invocation_is_delivered(
    aws: AwsTables, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN an admin connection
    [connection_id] = add_connections(aws.connections, [admin()])
    first, second = invoice_event(invoice_id="inv-1"), invoice_event(invoice_id="inv-2")
    # WHEN one invocation carries two records
    invoke(first, second)
    # THEN both events reach the admin, in order
    frames = management_endpoint.messages_for(connection_id)
    assert [f["event"]["id"] for f in frames] == [first["id"], second["id"]]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(f"not json {SECRET_NOTE}", id="not-json"),
        pytest.param(
            json.dumps({**invoice_event(), "type": "INVOICE_DELETED", "note": SECRET_NOTE}),
            id="schema-violation",
        ),
        pytest.param(
            json.dumps(
                {
                    **invoice_event(),
                    "data": {
                        "invoiceId": "inv-123",
                        "customerId": "cust-42",
                        "status": "SENT",
                        "version": SECRET_NOTE,
                    },
                }
            ),
            id="wrong-data-type",
        ),
        pytest.param(
            json.dumps({**invoice_event(), "customerid": ["cust-42", SECRET_NOTE]}),
            id="wrong-envelope-type",
        ),
    ],
)
def test_malformed_event_raises_without_leaking_or_posting(
    aws: AwsTables,
    management_endpoint: ManagementEndpoint,
    capsys: pytest.CaptureFixture[str],
    body: str,
) -> None:
    # GIVEN an admin connection and a malformed SNS message carrying a marker in its payload
    add_connections(aws.connections, [admin()])
    # WHEN the handler receives it
    with captured_logs() as logs, pytest.raises(MalformedEventError) as raised:
        invoke(body)
    # THEN it raises a clear error naming the problem, logs the SNS message id and problems,
    # never the payload, and posts nothing
    assert raised.value.problems
    assert SECRET_NOTE not in str(raised.value)
    [line] = [json.loads(x) for x in logs.getvalue().splitlines()]
    assert line["level"] == "ERROR"
    assert line["snsMessageId"] == raised.value.message_id
    assert line["problems"] == raised.value.problems
    assert SECRET_NOTE not in logs.getvalue() + capsys.readouterr().out
    assert management_endpoint.posts == []


def test_event_without_sns_records_raises(
    aws: AwsTables, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN an invocation event that is not an SNS notification
    event = {"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}
    # WHEN the handler receives it THEN it raises and posts nothing
    with pytest.raises(MalformedEventError, match=r"Sns\.Message"):
        send_invoice_update.handler(event, None)
    assert management_endpoint.posts == []


def test_missing_connections_table_fails_the_invocation(
    aws: AwsTables, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN DynamoDB without the connections table
    boto3.client("dynamodb").delete_table(TableName=aws.connections.name)
    # WHEN an event arrives THEN the invocation raises (Lambda retries, then dead-letters)
    with pytest.raises(Exception, match="ResourceNotFoundException"):
        invoke(invoice_event())
    assert management_endpoint.posts == []


def test_missing_event_log_table_fails_before_posting(
    aws: AwsTables, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN a connection but no event-log table
    add_connections(aws.connections, [admin()])
    boto3.client("dynamodb").delete_table(TableName=aws.event_log.name)
    # WHEN an event arrives THEN the invocation raises and nothing is posted
    with pytest.raises(Exception, match="ResourceNotFoundException"):
        invoke(invoice_event())
    assert management_endpoint.posts == []


def test_metrics_and_log_line_carry_the_counts(
    aws: AwsTables,
    management_endpoint: ManagementEndpoint,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN two admin connections, one of them gone
    live, gone = add_connections(aws.connections, [admin("a1"), admin("a2")])
    management_endpoint.gone.add(gone)
    event = invoice_event()
    # WHEN an event is delivered
    with captured_logs() as logs:
        invoke(event)
    # THEN one EMF document and one log line report recipients, delivered and gone
    documents = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"_aws"' in x]
    [emf] = documents
    metric_names = {m["Name"] for m in emf["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert {"Delivered", "Gone", "Failed", "Recipients", "DurationMs"} <= metric_names
    assert (emf["Recipients"], emf["Delivered"], emf["Gone"], emf["Failed"]) == (2, 1, 1, 0)
    [line] = [json.loads(x) for x in logs.getvalue().splitlines() if "fanned out" in x]
    assert (line["eventId"], line["recipients"], line["delivered"], line["gone"]) == (
        event["id"],
        2,
        1,
        1,
    )
    assert line["correlation_id"]
    assert encode_event(event) not in logs.getvalue()
    assert management_endpoint.recipients() == [live]


def test_malformed_event_is_counted_in_metrics(
    aws: AwsTables,
    management_endpoint: ManagementEndpoint,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN a message that is not JSON
    # WHEN the handler rejects it
    with pytest.raises(MalformedEventError):
        invoke("{")
    # THEN the invocation's EMF document counts one malformed event
    [emf] = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"_aws"' in x]
    assert emf["Malformed"] == 1


def test_deeply_nested_json_is_malformed_not_a_recursion_error(
    aws: AwsTables,
    management_endpoint: ManagementEndpoint,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN a message of 5,000 nested arrays
    # WHEN the handler reads it
    with pytest.raises(MalformedEventError, match="nested too deeply"):
        invoke("[" * 5000 + "]" * 5000)
    # THEN it took the malformed path: counted, nothing posted
    [emf] = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"_aws"' in x]
    assert emf["Malformed"] == 1
    assert management_endpoint.recipients() == []


@pytest.mark.parametrize(
    ("attributes", "problem"),
    [
        ({"customerId": {"Type": "Number", "Value": "42"}}, "customerId: must be of type String"),
        ({"eventType": {"Type": "String", "Value": "INVOICE_PAID"}}, "eventType: must equal"),
    ],
)
def test_a_message_attribute_that_contradicts_the_envelope_is_malformed(
    aws: AwsTables,
    management_endpoint: ManagementEndpoint,
    attributes: dict[str, dict[str, str]],
    problem: str,
) -> None:
    # GIVEN an admin and a valid SENT event whose message attribute filters would misread
    add_connections(aws.connections, [admin()])
    event = sns_event([encode_event(invoice_event(status="SENT"))])
    event["Records"][0]["Sns"]["MessageAttributes"] = attributes
    # WHEN the handler reads it, THEN it is rejected as malformed and nothing is posted
    with pytest.raises(MalformedEventError, match=problem):
        send_invoice_update.handler(event, None)
    assert management_endpoint.recipients() == []
