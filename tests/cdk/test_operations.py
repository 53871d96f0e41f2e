"""Operability of the synthesized environments: outputs and physical names (alarms:
test_alarms.py)."""

from __future__ import annotations

from aws_cdk.assertions import Template

from alexho_invoice_ops.discovery import REQUIRED_OUTPUTS
from alexho_invoice_runtime.definitions import StackOutputs
from stacks import InvoiceRealtimeStack

StackAndTemplate = tuple[InvoiceRealtimeStack, Template]

#: Base names of the alarms (each ``<prefix><base>-<suffix>``).
ALARM_BASE_NAMES = (
    "SendInvoiceUpdateSubscriptionDlqArrivals",
    "SendInvoiceUpdateOnFailureDlqArrivals",
    "SendInvoiceUpdateErrors",
    "SendInvoiceUpdateDestinationDeliveryFailures",
    "SendInvoiceUpdateThrottles",
    "InvoiceEventsFailedToRedriveToDlq",
    "WebSocketAuthorizerErrors",
    "WebSocketAuthorizerNearTimeout",
    "WebSocketAuthorizerThrottles",
    "WebSocketConnectErrors",
    "WebSocketConnectThrottles",
    "WebSocketDisconnectErrors",
    "WebSocketDisconnectThrottles",
    "WebSocketDefaultErrors",
    "WebSocketDefaultThrottles",
    "InvoiceWebSocketIntegrationErrors",
    "InvoiceWebSocketExecutionErrors",
)

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
        *(f"alexHo{base}-dev" for base in ALARM_BASE_NAMES),
    }


def test_data_key_alias_carries_the_prefix_and_environment(dev: StackAndTemplate) -> None:
    _, template = dev
    template.has_resource_properties(
        "AWS::KMS::Alias", {"AliasName": "alias/alexHoInvoiceRealtime-dev"}
    )
