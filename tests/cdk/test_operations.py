"""Operability of the synthesized environments: alarms, outputs, physical names."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match, Template

from alexho_invoice_ops.discovery import REQUIRED_OUTPUTS
from alexho_invoice_runtime.definitions import StackOutputs
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


def test_fan_out_errors_raise_an_alarm(dev: StackAndTemplate) -> None:
    stack, template = dev
    function = stack.realtime.send_invoice_update_function
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": "alexHoSendInvoiceUpdateErrors-dev",
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


def test_authorizer_alarm_counts_failures_but_not_refused_connects(dev: StackAndTemplate) -> None:
    # GIVEN the authorizer, which raises "Unauthorized" (a Lambda error) to refuse with 401
    stack, template = dev
    function_name = stack.resolve(stack.realtime.authorizer_function.function_name)
    # THEN its alarm fires on its errors minus the refusals it counted (EMF, same service)
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": "alexHoWebSocketAuthorizerErrors-dev",
            "Threshold": 0,
            "ComparisonOperator": "GreaterThanThreshold",
            "Metrics": Match.array_with(
                [
                    Match.object_like({"Id": "expr_1", "Expression": "errors - FILL(refusals, 0)"}),
                    Match.object_like(
                        {
                            "Id": "errors",
                            "MetricStat": Match.object_like(
                                {
                                    "Metric": {
                                        "Namespace": "AWS/Lambda",
                                        "MetricName": "Errors",
                                        "Dimensions": [
                                            {"Name": "FunctionName", "Value": function_name}
                                        ],
                                    }
                                }
                            ),
                        }
                    ),
                    Match.object_like(
                        {
                            "Id": "refusals",
                            "MetricStat": Match.object_like(
                                {
                                    "Metric": {
                                        "Namespace": "AlexHoInvoiceRealtime",
                                        "MetricName": "ConnectUnauthorized",
                                        "Dimensions": [
                                            {"Name": "service", "Value": "alexHoInvoiceRealtime"}
                                        ],
                                    }
                                }
                            ),
                        }
                    ),
                ]
            ),
        },
    )


def test_without_an_alarm_topic_every_alarm_notifies_a_created_topic(
    dev: StackAndTemplate,
) -> None:
    # GIVEN dev sets no alarmTopicArn
    stack, template = dev
    topic_arn = stack.resolve(stack.realtime.alarm_topic.topic_arn)
    # THEN the construct's own encrypted alarm topic hears ALARM and OK of all four alarms
    template.resource_properties_count_is(
        "AWS::CloudWatch::Alarm", {"AlarmActions": [topic_arn], "OKActions": [topic_arn]}, 4
    )
    template.has_resource_properties(
        "AWS::SNS::Topic",
        {
            "TopicName": "alexHoInvoiceRealtimeAlarms-dev",
            "KmsMasterKeyId": stack.resolve(stack.realtime.encryption_key.key_arn),
        },
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


def test_outputs_carry_everything_alexho_realtime_check_reads(dev: StackAndTemplate) -> None:
    # GIVEN the dev stack (HS256 auth)
    stack, template = dev
    # WHEN its outputs are listed
    outputs = template.find_outputs("*")
    # THEN every output the check needs is there, the secret by ARN
    assert set(REQUIRED_OUTPUTS) | {StackOutputs.AUTH_SECRET_ARN} <= set(outputs)
    secret = stack.realtime.secret
    assert secret is not None
    assert outputs[StackOutputs.AUTH_SECRET_ARN]["Value"] == stack.resolve(secret.secret_arn)
    assert outputs[StackOutputs.AUTH_MODE]["Value"] == "HS256"


def test_function_names_output_lists_the_five_functions(dev: StackAndTemplate) -> None:
    # GIVEN the dev stack
    stack, template = dev
    # WHEN the FunctionNames output is read
    joined = template.find_outputs(StackOutputs.FUNCTION_NAMES)[StackOutputs.FUNCTION_NAMES]
    # THEN it joins the names of the five functions with commas
    names = [stack.resolve(f.function_name) for f in stack.realtime.functions.values()]
    assert joined["Value"] == {"Fn::Join": [",", names]}


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
        "alexHoInvoiceRealtimeAlarms-dev",
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


def test_data_key_alias_carries_the_prefix_and_environment(dev: StackAndTemplate) -> None:
    _, template = dev
    template.has_resource_properties(
        "AWS::KMS::Alias", {"AliasName": "alias/alexHoInvoiceRealtime-dev"}
    )
