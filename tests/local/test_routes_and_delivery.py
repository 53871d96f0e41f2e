"""Message routing on ``action`` (two-way replies through the Management API), and delivery
from the topic with Lambda's retries and on-failure destination."""

from __future__ import annotations

import json
import pickle
from typing import Any

import boto3

from alexho_invoice_local.aws.clients import client_args
from alexho_invoice_local.cli.client import InvoiceStreamClient
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_local.functions.invocation import InvocationError
from alexho_invoice_local.stack import LocalStack
from alexho_invoice_local.tokens import LocalTokens
from tests.local.conftest import run, wait_until


def test_an_unknown_action_gets_an_error_frame_and_the_connection_stays(
    endpoints: StackEndpoints, tokens: LocalTokens
) -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with InvoiceStreamClient(endpoints.websocket_url, tokens.admin()) as client:
            await client.send({"action": "subscribe", "to": "everything"})
            error = (await client.next_frame(5)).frame
            # AND the same connection still answers a ping
            await client.send({"action": "ping"})
            return error, (await client.next_frame(5)).frame

    error, pong = run(scenario())
    assert (error["type"], error["code"]) == ("error", "unknown-action")
    assert pong == {"type": "pong"}


def test_a_deeply_nested_message_gets_an_error_frame_and_the_connection_stays(
    endpoints: StackEndpoints, tokens: LocalTokens
) -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with InvoiceStreamClient(endpoints.websocket_url, tokens.admin()) as client:
            # GIVEN a client message of 5,000 nested arrays (no action to route on)
            await client.websocket.send("[" * 5000 + "]" * 5000)
            error = (await client.next_frame(5)).frame
            await client.send({"action": "ping"})
            return error, (await client.next_frame(5)).frame

    error, pong = run(scenario())
    # THEN $default answered it as invalid JSON, and the same connection still answers a ping
    assert (error["type"], error["code"]) == ("error", "invalid-json")
    assert pong == {"type": "pong"}


def test_an_invocation_error_crosses_a_process_boundary_intact() -> None:
    # GIVEN the error of a failed invocation, as a container reports it
    error = InvocationError("MalformedEventError", "invalid invoice event", ["  File x"])
    # WHEN it is pickled (as between processes) THEN it comes back whole
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.error_type, copy.message, copy.stack_trace) == (
        "MalformedEventError",
        "invalid invoice event",
        ["  File x"],
    )


def test_a_malformed_event_is_retried_twice_then_sent_to_the_on_failure_queue(
    stack: LocalStack, endpoints: StackEndpoints
) -> None:
    args = client_args(endpoints.aws_endpoint_url, endpoints.region)
    before = stack.worker.stats.dead_lettered
    # GIVEN a message on the topic that is not an invoice event
    boto3.client("sns", **args).publish(TopicArn=endpoints.topic_arn, Message='{"not": "an event"}')
    # WHEN the fan-out function fails on it every time
    assert wait_until(lambda: stack.worker.stats.dead_lettered == before + 1, timeout=10)
    # THEN Lambda's on-failure record lands in the queue, with the original SNS event
    sqs = boto3.client("sqs", **args)
    (message,) = sqs.receive_message(QueueUrl=endpoints.on_failure_queue_url)["Messages"]
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestPayload"]["Records"][0]["Sns"]["Message"] == '{"not": "an event"}'
