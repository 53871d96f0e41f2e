"""Operability of the synthesized environments: alarms, outputs, physical names."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match, Template

from stacks import InvoiceRealtimeStack

StackAndTemplate = tuple[InvoiceRealtimeStack, Template]

#: (resource type, property holding the physical name)
NAMED_PROPERTIES = (
    ("AWS::ApiGatewayV2::Api", "Name"),
    ("AWS::ApiGatewayV2::Authorizer", "Name"),
    ("AWS::DynamoDB::Table", "TableName"),
    ("AWS::SNS::Topic", "TopicName"),
    ("AWS::SQS::Queue", "QueueName"),
    ("AWS::Lambda::Function", "FunctionName"),
    ("AWS::SecretsManager::Secret", "Name"),
    ("AWS::CloudWatch::Alarm", "AlarmName"),
)


@pytest.mark.parametrize(
    ("queue_attribute", "alarm_name"),
    [
        ("subscription_dlq", "alexHoSendInvoiceUpdateSubscriptionDlqNotEmpty-dev"),
        ("on_failure_dlq", "alexHoSendInvoiceUpdateOnFailureDlqNotEmpty-dev"),
    ],
)
def test_any_visible_message_in_a_dead_letter_queue_raises_an_alarm(
    dev: StackAndTemplate, queue_attribute: str, alarm_name: str
) -> None:
    stack, template = dev
    queue = getattr(stack.realtime, queue_attribute)
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": alarm_name,
            "Namespace": "AWS/SQS",
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName", "Value": stack.resolve(queue.queue_name)}],
            "Statistic": "Maximum",
            "Threshold": 0,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching",
        },
    )


@pytest.mark.parametrize(
    ("function_key", "alarm_name"),
    [
        ("send_invoice_update", "alexHoSendInvoiceUpdateErrors-dev"),
        ("authorizer", "alexHoWebSocketAuthorizerErrors-dev"),
    ],
)
def test_function_errors_raise_an_alarm(
    dev: StackAndTemplate, function_key: str, alarm_name: str
) -> None:
    stack, template = dev
    function = stack.realtime.functions[function_key]
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": alarm_name,
            "Namespace": "AWS/Lambda",
            "MetricName": "Errors",
            "Dimensions": [
                {"Name": "FunctionName", "Value": stack.resolve(function.function_name)}
            ],
            "Statistic": "Sum",
            "Threshold": 0,
            "ComparisonOperator": "GreaterThanThreshold",
        },
    )


def test_without_an_alarm_topic_alarms_have_no_actions(dev: StackAndTemplate) -> None:
    # GIVEN dev sets no alarmTopicArn
    _, template = dev
    # THEN no alarm notifies anyone
    template.resource_properties_count_is(
        "AWS::CloudWatch::Alarm", {"AlarmActions": Match.any_value()}, 0
    )


def test_outputs_carry_the_websocket_url(dev: StackAndTemplate) -> None:
    stack, template = dev
    url = stack.resolve(stack.realtime.websocket_url)
    template.has_output("WebSocketUrl", {"Value": url})
    assert url["Fn::Join"][1][0] == "wss://"


def test_outputs_carry_the_callback_url(dev: StackAndTemplate) -> None:
    stack, template = dev
    template.has_output("CallbackUrl", {"Value": stack.resolve(stack.realtime.callback_url)})


def test_outputs_carry_the_topic_arn(dev: StackAndTemplate) -> None:
    stack, template = dev
    template.has_output("TopicArn", {"Value": stack.resolve(stack.realtime.topic.topic_arn)})


def test_physical_names_carry_the_prefix_base_name_and_environment(dev: StackAndTemplate) -> None:
    # GIVEN the dev stack with the default prefix
    _, template = dev
    # WHEN every physical name is collected
    names = {
        resource["Properties"][name_property]
        for resource_type, name_property in NAMED_PROPERTIES
        for resource in template.find_resources(resource_type).values()
    }
    # THEN each is <prefix><BaseName>-dev, with the seed's base names
    assert names == {
        "alexHoInvoiceWebSocket-dev",
        "alexHoWebSocketAuthorizer-dev",
        "alexHoWebSocketConnections-dev",
        "alexHoInvoiceEventLog-dev",
        "alexHoWebSocketRevocations-dev",
        "alexHoInvoiceEvents-dev",
        "alexHoSendInvoiceUpdateSubscriptionDlq-dev",
        "alexHoSendInvoiceUpdateOnFailureDlq-dev",
        "alexHoWebSocketConnect-dev",
        "alexHoWebSocketDisconnect-dev",
        "alexHoWebSocketDefault-dev",
        "alexHoSendInvoiceUpdate-dev",
        "alexHoConnectTokenSigningKey-dev",
        "alexHoSendInvoiceUpdateSubscriptionDlqNotEmpty-dev",
        "alexHoSendInvoiceUpdateOnFailureDlqNotEmpty-dev",
        "alexHoSendInvoiceUpdateErrors-dev",
        "alexHoWebSocketAuthorizerErrors-dev",
    }


def test_topic_key_alias_carries_the_topic_name(dev: StackAndTemplate) -> None:
    _, template = dev
    template.has_resource_properties(
        "AWS::KMS::Alias", {"AliasName": "alias/alexHoInvoiceEvents-dev"}
    )
