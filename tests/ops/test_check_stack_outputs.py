"""``alexho-realtime check --stack``: the stack found by its CloudFormation outputs, and the checks
that read CloudWatch, against moto in process (a stack created from a small template)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from alexho_invoice_ops.checks.access import StackSource, check_access
from alexho_invoice_ops.checks.dead_letters import check_dead_letters
from alexho_invoice_ops.checks.functions import check_functions
from alexho_invoice_ops.checks.topic import check_topic
from alexho_invoice_ops.cli import main
from alexho_invoice_ops.discovery import DiscoveryError, discover_stack
from alexho_invoice_ops.results import Status
from alexho_invoice_ops.runner import CheckOptions, run_checks
from alexho_invoice_ops.target import CheckTarget
from alexho_invoice_runtime.definitions import StackOutputs, connections_table_definition

REGION = "eu-west-1"
STACK = "AlexHoInvoiceRealtime-test"
FANOUT = "alexHoSendInvoiceUpdate-test"
FUNCTIONS = f"alexHoWebSocketAuthorizer-test,alexHoWebSocketConnect-test,{FANOUT}"
#: Nothing listens on the discard port: the WebSocket check fails fast.
UNREACHABLE_URL = "ws://127.0.0.1:9/live"

RESOURCES: dict[str, Any] = {
    "Topic": {
        "Type": "AWS::SNS::Topic",
        "Properties": {"TopicName": "alexHoInvoiceEvents-test", "KmsMasterKeyId": "alias/aws/sns"},
    },
    "SubscriptionDlq": {
        "Type": "AWS::SQS::Queue",
        "Properties": {"QueueName": "alexHoSendInvoiceUpdateSubscriptionDlq-test"},
    },
    "OnFailureDlq": {
        "Type": "AWS::SQS::Queue",
        "Properties": {"QueueName": "alexHoSendInvoiceUpdateOnFailureDlq-test"},
    },
    # CreateTable arguments and the table's CloudFormation properties share their names.
    "Connections": {
        "Type": "AWS::DynamoDB::Table",
        "Properties": connections_table_definition("alexHoWebSocketConnections-test"),
    },
}
OUTPUTS: dict[str, Any] = {
    StackOutputs.WEBSOCKET_URL: {"Value": UNREACHABLE_URL},
    StackOutputs.CALLBACK_URL: {"Value": "http://127.0.0.1:9/live"},
    StackOutputs.TOPIC_ARN: {"Value": {"Ref": "Topic"}},
    StackOutputs.CONNECTIONS_TABLE: {"Value": {"Ref": "Connections"}},
    StackOutputs.SUBSCRIPTION_DLQ_URL: {"Value": {"Ref": "SubscriptionDlq"}},
    StackOutputs.ON_FAILURE_DLQ_URL: {"Value": {"Ref": "OnFailureDlq"}},
    StackOutputs.FUNCTION_NAMES: {"Value": FUNCTIONS},
    StackOutputs.SEND_INVOICE_UPDATE_FUNCTION: {"Value": FANOUT},
    StackOutputs.AUTH_MODE: {"Value": "JWKS"},
}


def create_stack(name: str, outputs: dict[str, Any]) -> None:
    template = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": RESOURCES}
    if outputs:
        template["Outputs"] = outputs
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName=name, TemplateBody=json.dumps(template)
    )


@pytest.fixture
def deployed() -> Iterator[CheckTarget]:
    """A stack with every output, in moto; yields its check target."""
    with mock_aws():
        create_stack(STACK, OUTPUTS)
        yield discover_stack(STACK, boto3.client("cloudformation", region_name=REGION)).target


def test_outputs_become_the_check_target(deployed: CheckTarget) -> None:
    # GIVEN the deployed stack's resources
    sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
    [topic] = sns.list_topics()["Topics"]
    # THEN the target names them, from the outputs
    assert deployed.topic_arn == topic["TopicArn"]
    assert deployed.connections_table == "alexHoWebSocketConnections-test"
    assert [q.url for q in deployed.dead_letter_queues] == [
        sqs.get_queue_url(QueueName="alexHoSendInvoiceUpdateSubscriptionDlq-test")["QueueUrl"],
        sqs.get_queue_url(QueueName="alexHoSendInvoiceUpdateOnFailureDlq-test")["QueueUrl"],
    ]
    assert deployed.function_names == tuple(FUNCTIONS.split(","))
    assert deployed.fanout_function == FANOUT
    assert (deployed.auth_mode, deployed.secret_arn, deployed.region) == ("JWKS", None, REGION)


def test_access_passes_with_the_caller_and_the_stack_status(deployed: CheckTarget) -> None:
    # WHEN the access check runs
    result, target = check_access(StackSource(stack_name=STACK, region=REGION))
    # THEN it names the account, the stack's status and finds the same target
    assert result.status is Status.PASSED
    assert "account 123456789012" in result.summary
    assert "CREATE_COMPLETE" in result.summary
    assert target == deployed


def test_stack_without_the_outputs_fails_access_and_skips_the_rest() -> None:
    with mock_aws():
        # GIVEN a stack deployed before the check's outputs existed
        create_stack(STACK, {StackOutputs.TOPIC_ARN: OUTPUTS[StackOutputs.TOPIC_ARN]})
        # WHEN every check runs
        report = run_checks(StackSource(stack_name=STACK, region=REGION), CheckOptions(), {})
    # THEN access fails naming the missing outputs and the fix; nothing else runs
    first, *rest = report.results
    assert first.status is Status.FAILED
    assert StackOutputs.CONNECTIONS_TABLE in first.summary
    assert first.fix is not None
    assert f"cdk deploy {STACK}" in first.fix
    assert {r.status for r in rest} == {Status.SKIPPED}
    assert not report.ok


def test_unknown_stack_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    with mock_aws():
        # WHEN the command checks a stack that does not exist
        code = main(["check", "--stack", "NoSuchStack", "--region", REGION])
    # THEN it says so, with the fix, and exits 1
    out = capsys.readouterr().out
    assert code == 1
    assert "✗ AWS access: stack NoSuchStack does not exist in eu-west-1" in out
    assert "cdk deploy NoSuchStack" in out


def test_discovery_error_for_missing_stack() -> None:
    with mock_aws(), pytest.raises(DiscoveryError, match="does not exist"):
        discover_stack("Missing", boto3.client("cloudformation", region_name=REGION))


def test_jwks_stack_without_token_fails_websocket_but_checks_the_rest(
    deployed: CheckTarget,
) -> None:
    # WHEN every check runs against the JWKS stack without --token
    report = run_checks(StackSource(stack_name=STACK, region=REGION), CheckOptions(), {})
    statuses = {r.key: r.status for r in report.results}
    # THEN the WebSocket check asks for a token; the AWS-side checks pass
    assert statuses == {
        "access": Status.PASSED,
        "topic": Status.PASSED,
        "websocket": Status.FAILED,
        "end_to_end": Status.SKIPPED,
        "connections": Status.PASSED,
        "dead_letters": Status.PASSED,
        "functions": Status.PASSED,
    }
    websocket = report.results[2]
    assert websocket.fix is not None
    assert "--token" in websocket.fix


def test_topic_check_reads_the_stack_topic(deployed: CheckTarget) -> None:
    # THEN the encrypted topic passes, and a backend setting naming another topic fails
    assert check_topic(deployed, {}).status is Status.PASSED
    other = deployed.topic_arn.replace("InvoiceEvents", "Other")
    assert check_topic(deployed, {"ALEXHO_INVOICE_TOPIC_ARN": other}).status is Status.FAILED


def test_subscription_dlq_message_fails_with_how_to_redrive(deployed: CheckTarget) -> None:
    # GIVEN two messages in the subscription DLQ
    sqs = boto3.client("sqs", region_name=REGION)
    for body in ("a", "b"):
        sqs.send_message(QueueUrl=deployed.dead_letter_queues[0].url, MessageBody=body)
    # WHEN the dead-letter check runs
    result = check_dead_letters(deployed)
    # THEN it fails with the count, and says to publish again to the topic
    assert result.status is Status.FAILED
    assert "2 waiting" in result.summary
    assert "on-failure DLQ empty" in result.summary
    assert result.fix is not None
    assert deployed.topic_arn in result.fix


def test_functions_check_counts_errors_and_shows_the_fan_outs_error_lines(
    deployed: CheckTarget,
) -> None:
    # GIVEN three fan-out errors in CloudWatch and its log with one error line among info lines
    boto3.client("cloudwatch", region_name=REGION).put_metric_data(
        Namespace="AWS/Lambda",
        MetricData=[
            {
                "MetricName": "Errors",
                "Dimensions": [{"Name": "FunctionName", "Value": FANOUT}],
                "Value": 3,
                "Unit": "Count",
            }
        ],
    )
    logs = boto3.client("logs", region_name=REGION)
    group = f"/aws/lambda/{FANOUT}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s1")
    now_ms = int(time.time() * 1000)
    error_line = '{"level":"ERROR","message":"rejected a malformed invoice event"}'
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s1",
        logEvents=[
            {"timestamp": now_ms - 2000, "message": '{"level":"INFO","message":"fanned out"}'},
            {"timestamp": now_ms - 1000, "message": error_line},
        ],
    )
    # WHEN the functions check runs
    result = check_functions(deployed, log_lines=5)
    # THEN it fails on the errors and shows the error line (only)
    assert result.status is Status.FAILED
    assert result.details["functions"][FANOUT] == {"errors": 3, "throttles": 0}
    assert f"{FANOUT}: 3 errors" in result.summary
    assert result.notes == (error_line,)


def test_functions_check_passes_when_quiet(deployed: CheckTarget) -> None:
    # GIVEN no metric data and no log group
    # WHEN the functions check runs
    result = check_functions(deployed, log_lines=5)
    # THEN it passes and says there is no log group yet
    assert result.status is Status.PASSED
    assert "0 error(s), 0 throttle(s) over 3 functions" in result.summary
    assert f"no log group /aws/lambda/{FANOUT}" in result.summary
