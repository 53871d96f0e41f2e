"""``alexho-realtime check --local`` against the module's running stack: every check passes,
then each is broken on purpose (and restored) and the check that covers it fails.

The fan-out is stopped in the last test of the module: the stack cannot restart it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from alexho_invoice_local.aws.clients import client_args
from alexho_invoice_local.cli.client import InvoiceStreamClient, ReceivedFrame
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_local.stack import LocalStack
from alexho_invoice_local.tokens import LocalTokens
from alexho_invoice_ops.checks.access import StackSource
from alexho_invoice_ops.cli import main
from alexho_invoice_ops.render import as_text
from alexho_invoice_ops.results import Status
from alexho_invoice_ops.runner import CheckOptions, Report, run_checks
from alexho_invoice_publisher import mint_connect_token
from alexho_invoice_runtime.contract import PROBE_CONNECTION_ATTRIBUTE
from alexho_invoice_runtime.definitions import CUSTOMER, PUBLISHER_TOPIC_ARN_ENV
from tests.local.conftest import connection_ids, run, wait_until

OPTIONS = CheckOptions(timeout=5.0)


def statuses(report: Report) -> dict[str, Status]:
    return {result.key: result.status for result in report.results}


def check(state_file: Path, options: CheckOptions = OPTIONS, **environ: str) -> Report:
    return run_checks(StackSource(state_file=state_file), options, environ)


@pytest.fixture(scope="module")
def sqs(endpoints: StackEndpoints) -> Any:
    return boto3.client("sqs", **client_args(endpoints.aws_endpoint_url, endpoints.region))


def test_every_check_passes_and_nobody_else_sees_the_probe(
    state_file: Path, endpoints: StackEndpoints, tokens: LocalTokens, dynamodb: Any
) -> None:
    # GIVEN an admin and a customer listening, and the connection rows before the check
    before = connection_ids(dynamodb, endpoints)

    async def scenario() -> tuple[Report, list[ReceivedFrame], list[ReceivedFrame], set[str]]:
        async with (
            InvoiceStreamClient(endpoints.websocket_url, tokens.admin()) as admin,
            InvoiceStreamClient(endpoints.websocket_url, tokens.customer("cust-1")) as customer,
        ):
            listening = connection_ids(dynamodb, endpoints)
            # WHEN the check runs
            report = await asyncio.to_thread(check, state_file)
            await asyncio.sleep(0.3)
            return report, admin.frames, customer.frames, listening

    report, admin_frames, customer_frames, listening = run(scenario())
    # THEN every check passes (the local stack has no CloudWatch: functions are skipped)
    assert statuses(report) == {
        "access": Status.PASSED,
        "topic": Status.PASSED,
        "websocket": Status.PASSED,
        "end_to_end": Status.PASSED,
        "connections": Status.PASSED,
        "dead_letters": Status.PASSED,
        "functions": Status.SKIPPED,
    }, as_text(report, "local")
    assert report.ok
    results = {result.key: result for result in report.results}
    assert results["websocket"].details["pingPongMs"] >= 0
    assert results["end_to_end"].details["latencyMs"] > 0
    assert results["connections"].details["adminConnections"] == 1
    # AND neither listener received the probe
    assert admin_frames == customer_frames == []
    # AND the event log holds no probe, and the check's connection is gone again
    log_items = dynamodb.scan(TableName=endpoints.event_log_table)["Items"]
    assert not [item for item in log_items if PROBE_CONNECTION_ATTRIBUTE in json.dumps(item)]
    assert wait_until(lambda: connection_ids(dynamodb, endpoints) == before)
    assert len(listening) == len(before) + 2


def test_wrong_topic_arn_fails_the_topic_check(
    state_file: Path,
    endpoints: StackEndpoints,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN a backend setting that names another topic
    wrong = endpoints.topic_arn + "-old"
    monkeypatch.setenv(PUBLISHER_TOPIC_ARN_ENV, wrong)
    # WHEN the command runs with --json
    code = main(["check", "--local", "--state-file", str(state_file), "--json"])
    # THEN it exits 1 and only the topic check failed, naming both ARNs and the fix
    out = capsys.readouterr().out
    # (the fan-out's containers print their EMF lines to the same stdout)
    report = json.loads(out[out.index('{\n  "target"') :])
    assert code == 1
    assert report["ok"] is False
    failed = [c for c in report["checks"] if c["status"] == "failed"]
    assert [c["check"] for c in failed] == ["topic"]
    assert wrong in failed[0]["summary"]
    assert f"{PUBLISHER_TOPIC_ARN_ENV}={endpoints.topic_arn}" in failed[0]["fix"]


def test_message_in_a_dead_letter_queue_fails_that_check(
    state_file: Path, endpoints: StackEndpoints, sqs: Any
) -> None:
    # GIVEN an on-failure record waiting in the DLQ
    sqs.send_message(QueueUrl=endpoints.on_failure_queue_url, MessageBody='{"version":"1.0"}')
    try:
        # WHEN the check runs
        report = check(state_file)
    finally:
        _drain(sqs, endpoints.on_failure_queue_url)
    # THEN the dead-letter check fails with the count and how to redrive
    [result] = [r for r in report.results if r.status is Status.FAILED]
    assert result.key == "dead_letters"
    assert "1 waiting" in result.summary
    assert result.fix is not None
    assert "requestPayload" in result.fix
    # AND once drained, it passes again
    assert statuses(check(state_file))["dead_letters"] is Status.PASSED


def test_refused_token_fails_the_websocket_check(state_file: Path) -> None:
    # GIVEN a token signed with a key the stack does not have
    token = mint_connect_token(
        signing_key="a-key-that-is-not-the-stacks-own-0123456789",
        subject="someone",
        user_type=CUSTOMER,
        customer_id="alexho-check-x",
    )
    # WHEN the check connects with it
    report = check(state_file, CheckOptions(token=token, timeout=5.0))
    # THEN the WebSocket check fails (refused), the probe is skipped, the token is not shown
    assert statuses(report)["websocket"] is Status.FAILED
    assert statuses(report)["end_to_end"] is Status.SKIPPED
    websocket = next(r for r in report.results if r.key == "websocket")
    assert websocket.details["httpStatus"] in (401, 403)
    assert token not in as_text(report, "local")
    assert not report.ok


def test_no_permission_to_publish_skips_end_to_end(state_file: Path) -> None:
    # GIVEN credentials that may not publish (SNS answers AuthorizationError)
    def deny(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "AuthorizationError", "Message": "not authorized"}}, "Publish"
        )

    events = boto3._get_default_session().events
    events.register("before-call.sns.Publish", deny)
    try:
        # WHEN the check runs
        report = check(state_file)
    finally:
        events.unregister("before-call.sns.Publish", deny)
    # THEN the end-to-end check is skipped, not failed, and the run still passes
    assert statuses(report)["end_to_end"] is Status.SKIPPED
    assert "no permission to publish" in report.results[3].summary
    assert report.ok


def test_stopped_fan_out_fails_end_to_end(state_file: Path, stack: LocalStack) -> None:
    # GIVEN the fan-out stopped (last test of the module: it stays stopped)
    stack.worker.stop()
    # WHEN the check runs
    report = check(state_file, CheckOptions(timeout=1.5))
    # THEN the end-to-end check fails: the probe never arrived
    [result] = [r for r in report.results if r.status is Status.FAILED]
    assert result.key == "end_to_end"
    assert "did not arrive" in result.summary


def _drain(sqs: Any, queue_url: str) -> None:
    for message in _messages(sqs, queue_url):
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def _messages(sqs: Any, queue_url: str) -> Iterator[dict[str, Any]]:
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
            "Messages", []
        )
        if not messages:
            return
        yield from messages
