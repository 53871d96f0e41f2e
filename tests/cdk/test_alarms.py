"""Alarms: what each watches, that CloudWatch may notify the alarm topic, and that two
environments in one account never read each other's metrics."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Annotations, Match, Template

from alexho_invoice_realtime import ObservabilityOptions
from stacks import InvoiceRealtimeStack

from .conftest import ENVIRONMENTS, SynthesizedApp, realtime

StackAndTemplate = tuple[InvoiceRealtimeStack, Template]
TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:ops-alarms"


def _alarm(template: Template, alarm_name: str) -> dict[str, Any]:
    alarms = template.find_resources(
        "AWS::CloudWatch::Alarm", {"Properties": {"AlarmName": alarm_name}}
    )
    assert len(alarms) == 1, alarm_name
    properties: dict[str, Any] = next(iter(alarms.values()))["Properties"]
    return properties


def _watched(properties: dict[str, Any]) -> tuple[str, str, str, list[dict[str, Any]]]:
    """What an alarm reads: namespace, metric, statistic and dimensions."""
    return (
        properties["Namespace"],
        properties["MetricName"],
        properties["Statistic"],
        properties["Dimensions"],
    )


def _fires_above_zero_in_one_minute(properties: dict[str, Any]) -> None:
    assert (properties["Threshold"], properties["ComparisonOperator"]) == (
        0,
        "GreaterThanThreshold",
    )
    assert (properties["Period"], properties["EvaluationPeriods"]) == (60, 1)
    assert properties["TreatMissingData"] == "notBreaching"


@pytest.mark.parametrize(
    ("queue_attribute", "alarm_name"),
    [
        ("subscription_dlq", "alexHoSendInvoiceUpdateSubscriptionDlqArrivals-dev"),
        ("on_failure_dlq", "alexHoSendInvoiceUpdateOnFailureDlqArrivals-dev"),
    ],
)
def test_a_message_arriving_in_a_dead_letter_queue_raises_an_alarm(
    dev: StackAndTemplate, queue_attribute: str, alarm_name: str
) -> None:
    # GIVEN a dead-letter queue (messages may be kept in it for inspection)
    stack, template = dev
    queue = getattr(stack.realtime, queue_attribute)
    # WHEN its alarm is read
    properties = _alarm(template, alarm_name)
    # THEN it counts messages sent to the queue, not the queue's depth
    assert _watched(properties) == (
        "AWS/SQS",
        "NumberOfMessagesSent",
        "Sum",
        [{"Name": "QueueName", "Value": stack.resolve(queue.queue_name)}],
    )
    _fires_above_zero_in_one_minute(properties)


@pytest.mark.parametrize(
    ("function_key", "metric_name", "alarm_name"),
    [
        ("connect", "Errors", "alexHoWebSocketConnectErrors-dev"),
        ("connect", "Throttles", "alexHoWebSocketConnectThrottles-dev"),
        ("disconnect", "Errors", "alexHoWebSocketDisconnectErrors-dev"),
        ("disconnect", "Throttles", "alexHoWebSocketDisconnectThrottles-dev"),
        ("default", "Errors", "alexHoWebSocketDefaultErrors-dev"),
        ("default", "Throttles", "alexHoWebSocketDefaultThrottles-dev"),
        ("authorizer", "Throttles", "alexHoWebSocketAuthorizerThrottles-dev"),
        ("send_invoice_update", "Errors", "alexHoSendInvoiceUpdateErrors-dev"),
        ("send_invoice_update", "Throttles", "alexHoSendInvoiceUpdateThrottles-dev"),
        (
            "send_invoice_update",
            "DestinationDeliveryFailures",
            "alexHoSendInvoiceUpdateDestinationDeliveryFailures-dev",
        ),
    ],
)
def test_function_failures_raise_an_alarm(
    dev: StackAndTemplate, function_key: str, metric_name: str, alarm_name: str
) -> None:
    # GIVEN a route's function or the fan-out
    stack, template = dev
    function = stack.realtime.functions[function_key]
    # WHEN its alarm on metric_name is read
    properties = _alarm(template, alarm_name)
    # THEN it sums that AWS/Lambda metric of this function and fires on the first one
    assert _watched(properties) == (
        "AWS/Lambda",
        metric_name,
        "Sum",
        [{"Name": "FunctionName", "Value": stack.resolve(function.function_name)}],
    )
    _fires_above_zero_in_one_minute(properties)


def test_sns_failing_to_redrive_to_the_subscription_dlq_raises_an_alarm(
    dev: StackAndTemplate,
) -> None:
    # GIVEN the invoice topic, whose failed deliveries go to the subscription DLQ
    stack, template = dev
    # WHEN the alarm on events SNS could not set aside is read
    properties = _alarm(template, "alexHoInvoiceEventsFailedToRedriveToDlq-dev")
    # THEN it sums the topic's NumberOfNotificationsFailedToRedriveToDlq
    assert _watched(properties) == (
        "AWS/SNS",
        "NumberOfNotificationsFailedToRedriveToDlq",
        "Sum",
        [{"Name": "TopicName", "Value": stack.resolve(stack.realtime.topic.topic_name)}],
    )
    _fires_above_zero_in_one_minute(properties)


@pytest.mark.parametrize(
    ("metric_name", "alarm_name"),
    [
        ("IntegrationError", "alexHoInvoiceWebSocketIntegrationErrors-dev"),
        ("ExecutionError", "alexHoInvoiceWebSocketExecutionErrors-dev"),
    ],
)
def test_stage_errors_raise_an_alarm(
    dev: StackAndTemplate, metric_name: str, alarm_name: str
) -> None:
    # GIVEN the WebSocket API's stage
    stack, template = dev
    # WHEN its error alarm is read
    properties = _alarm(template, alarm_name)
    # THEN it sums the AWS/ApiGateway metric of this API and stage
    assert _watched(properties) == (
        "AWS/ApiGateway",
        metric_name,
        "Sum",
        [
            {"Name": "ApiId", "Value": stack.resolve(stack.realtime.api.api_id)},
            {"Name": "Stage", "Value": "live"},
        ],
    )
    _fires_above_zero_in_one_minute(properties)


def test_authorizer_alarm_reads_its_own_failure_count_over_several_minutes(
    dev: StackAndTemplate,
) -> None:
    # GIVEN the authorizer, which counts failures to verify as AuthorizerErrors (EMF) and
    # refusals apart (a refusal is a Lambda error too)
    _, template = dev
    # WHEN its alarm is read
    properties = _alarm(template, "alexHoWebSocketAuthorizerErrors-dev")
    # THEN it reads AuthorizerErrors of this environment's service, no Lambda Errors, and
    # needs two failing minutes of five
    assert _watched(properties) == (
        "AlexHoInvoiceRealtime",
        "AuthorizerErrors",
        "Sum",
        [{"Name": "service", "Value": "alexHoInvoiceRealtime-dev"}],
    )
    assert (properties["EvaluationPeriods"], properties["DatapointsToAlarm"]) == (5, 2)
    assert "Metrics" not in properties


def test_authorizer_running_to_its_timeout_raises_an_alarm(dev: StackAndTemplate) -> None:
    # GIVEN the authorizer, whose timeouts its own count cannot include (the handler is stopped)
    stack, template = dev
    # WHEN its near-timeout alarm is read
    properties = _alarm(template, "alexHoWebSocketAuthorizerNearTimeout-dev")
    # THEN it reads the authorizer's longest invocation of each minute against 90 % of its
    # timeout, in two minutes of five
    timeout = stack.realtime.authorizer_function.timeout
    assert timeout is not None
    assert _watched(properties) == (
        "AWS/Lambda",
        "Duration",
        "Maximum",
        [
            {
                "Name": "FunctionName",
                "Value": stack.resolve(stack.realtime.authorizer_function.function_name),
            }
        ],
    )
    assert (properties["Threshold"], properties["ComparisonOperator"]) == (
        0.9 * timeout.to_milliseconds(),
        "GreaterThanThreshold",
    )
    assert (properties["EvaluationPeriods"], properties["DatapointsToAlarm"]) == (5, 2)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_alarm_notifies_the_alarm_topic_of_alarm_and_ok(
    synthesized_app: SynthesizedApp, environment: str
) -> None:
    # GIVEN an environment without alarmTopicArn
    stack = synthesized_app.stacks[environment]
    template = synthesized_app.templates[environment]
    topic_arn = stack.resolve(stack.realtime.alarm_topic.topic_arn)
    # THEN each of its alarms notifies the construct's own encrypted alarm topic
    count = len(stack.realtime.alarms)
    assert count == 17
    template.resource_properties_count_is(
        "AWS::CloudWatch::Alarm", {"AlarmActions": [topic_arn], "OKActions": [topic_arn]}, count
    )
    template.has_resource_properties(
        "AWS::SNS::Topic",
        {
            "TopicName": f"alexHoInvoiceRealtimeAlarms-{environment}",
            "KmsMasterKeyId": stack.resolve(stack.realtime.encryption_key.key_arn),
        },
    )


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_cloudwatch_may_publish_to_the_alarm_topic_for_this_stacks_alarms_only(
    synthesized_app: SynthesizedApp, environment: str
) -> None:
    # GIVEN the alarm topic, whose policy (TLS only) replaced SNS's default one
    stack = synthesized_app.stacks[environment]
    template = synthesized_app.templates[environment]
    realtime_ = stack.realtime
    topic_ref = stack.resolve(realtime_.alarm_topic.topic_arn)
    # THEN the policy lets cloudwatch.amazonaws.com publish, for this account and these alarms
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "Topics": [topic_ref],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        {
                            "Sid": "AllowThisStacksAlarmsToPublish",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudwatch.amazonaws.com"},
                            "Action": "sns:Publish",
                            "Resource": topic_ref,
                            "Condition": {
                                "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                                "ArnEquals": {
                                    "aws:SourceArn": [
                                        stack.resolve(alarm.alarm_arn) for alarm in realtime_.alarms
                                    ]
                                },
                            },
                        }
                    ]
                )
            },
        },
    )


#: The property holding each named resource's physical name.
NAME_PROPERTIES = {
    "AWS::Lambda::Function": "FunctionName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::ApiGatewayV2::Api": "Name",
}


def _alarm_metrics(template: dict[str, Any]) -> set[str]:
    """What CloudWatch sees of each alarm's metric: namespace, name and dimension values, with
    references (the same logical ids in every environment) replaced by physical names."""
    resources = template["Resources"]

    def physical(value: Any) -> Any:
        if isinstance(value, dict) and ("Ref" in value or "Fn::GetAtt" in value):
            logical_id = value["Ref"] if "Ref" in value else value["Fn::GetAtt"][0]
            resource = resources[logical_id]
            return resource["Properties"][NAME_PROPERTIES[resource["Type"]]]
        return value

    return {
        json.dumps(
            [alarm["Properties"]["Namespace"], alarm["Properties"]["MetricName"]]
            + [physical(d["Value"]) for d in alarm["Properties"]["Dimensions"]]
        )
        for alarm in resources.values()
        if alarm["Type"] == "AWS::CloudWatch::Alarm"
    }


def test_dev_and_prod_alarms_read_different_metrics(synthesized_app: SynthesizedApp) -> None:
    # GIVEN dev and prod, which may share one account and region
    # WHEN the metric identity (namespace, name, dimension values) of every alarm is listed
    dev_metrics = _alarm_metrics(synthesized_app.template_json["dev"])
    prod_metrics = _alarm_metrics(synthesized_app.template_json["prod"])
    # THEN no alarm of one environment reads a metric of the other
    assert len(dev_metrics) == len(prod_metrics) == 17
    assert dev_metrics.isdisjoint(prod_metrics)


def test_functions_write_metrics_under_their_environments_service(
    synthesized_app: SynthesizedApp,
) -> None:
    # GIVEN both environments' functions
    services = {
        environment: {
            function["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
            for function in synthesized_app.templates[environment]
            .find_resources("AWS::Lambda::Function")
            .values()
        }
        for environment in ENVIRONMENTS
    }
    # THEN each environment's runtime writes its EMF metrics and logs with its own service
    assert services == {
        "dev": {"alexHoInvoiceRealtime-dev"},
        "prod": {"alexHoInvoiceRealtime-prod"},
    }


def test_an_imported_alarm_topic_is_notified_and_its_policy_is_left_to_its_owner(
    stack: Stack,
) -> None:
    # GIVEN an alarm topic of the user's, imported by ARN (CDK cannot change its policy)
    alarm_topic = sns.Topic.from_topic_arn(stack, "Ops", TOPIC_ARN)
    construct = realtime(stack, observability=ObservabilityOptions(alarm_topic=alarm_topic))
    template = Template.from_stack(stack)
    # THEN every alarm notifies it, no alarm topic is created, and synth warns what to allow
    template.resource_properties_count_is(
        "AWS::CloudWatch::Alarm",
        {"AlarmActions": [TOPIC_ARN], "OKActions": [TOPIC_ARN]},
        len(construct.alarms),
    )
    template.resource_properties_count_is(
        "AWS::SNS::Topic", {"TopicName": "alexHoInvoiceRealtimeAlarms-test"}, 0
    )
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Realtime", Match.string_like_regexp("cloudwatch.amazonaws.com sns:Publish")
    )
