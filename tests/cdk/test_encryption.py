"""One customer-managed key for the data at rest: every store, the key policy, the grants."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Annotations, Match, Template

from alexho_invoice_realtime import StorageOptions
from stacks import InvoiceRealtimeStack

from .conftest import realtime
from .policies import role_statements

StackAndTemplate = tuple[InvoiceRealtimeStack, Template]
IMPORTED_KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"


def _key_arn(stack: InvoiceRealtimeStack) -> Any:
    return stack.resolve(stack.realtime.encryption_key.key_arn)


def test_the_construct_creates_one_rotating_key(dev: StackAndTemplate) -> None:
    _, template = dev
    template.resource_count_is("AWS::KMS::Key", 1)
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


@pytest.mark.parametrize(
    "table_name",
    [
        "alexHoWebSocketConnections-dev",
        "alexHoInvoiceEventLog-dev",
        "alexHoWebSocketRevocations-dev",
    ],
)
def test_tables_are_encrypted_with_the_key(dev: StackAndTemplate, table_name: str) -> None:
    stack, template = dev
    template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "TableName": table_name,
            "SSESpecification": {
                "SSEEnabled": True,
                "SSEType": "KMS",
                "KMSMasterKeyId": _key_arn(stack),
            },
        },
    )


@pytest.mark.parametrize(
    "queue_name",
    ["alexHoSendInvoiceUpdateSubscriptionDlq-dev", "alexHoSendInvoiceUpdateOnFailureDlq-dev"],
)
def test_dead_letter_queues_are_encrypted_with_the_key(
    dev: StackAndTemplate, queue_name: str
) -> None:
    stack, template = dev
    template.has_resource_properties(
        "AWS::SQS::Queue", {"QueueName": queue_name, "KmsMasterKeyId": _key_arn(stack)}
    )


def test_every_log_group_is_encrypted_with_the_key(dev: StackAndTemplate) -> None:
    # GIVEN the five function log groups and the access log group
    stack, template = dev
    log_groups = template.find_resources("AWS::Logs::LogGroup")
    # THEN each one names the key
    assert len(log_groups) == 6
    assert {
        str(stack.resolve(group["Properties"].get("KmsKeyId"))) for group in log_groups.values()
    } == {str(_key_arn(stack))}


def test_signing_secret_is_encrypted_with_the_key(dev: StackAndTemplate) -> None:
    stack, template = dev
    template.has_resource_properties(
        "AWS::SecretsManager::Secret",
        {"Name": "alexHoConnectTokenSigningKey-dev", "KmsKeyId": _key_arn(stack)},
    )


def test_invoice_topic_is_encrypted_with_the_key(dev: StackAndTemplate) -> None:
    stack, template = dev
    template.has_resource_properties(
        "AWS::SNS::Topic",
        {"TopicName": "alexHoInvoiceEvents-dev", "KmsMasterKeyId": _key_arn(stack)},
    )


def test_key_policy_lets_cloudwatch_logs_use_it_for_these_log_groups_only(
    dev: StackAndTemplate,
) -> None:
    # GIVEN the key's policy
    _, template = dev
    (key,) = template.find_resources("AWS::KMS::Key").values()
    (statement,) = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Sid") == "AllowCloudWatchLogsForTheseLogGroups"
    ]
    # THEN CloudWatch Logs of this region may use it, only with the encryption context of
    # one of the six log groups
    assert statement["Principal"]["Service"] == {
        "Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]
    }
    arns = statement["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]
    names = sorted(arn["Fn::Join"][1][-1].removeprefix(":log-group:") for arn in arns)
    assert names == [
        "/aws/apigateway/alexHoInvoiceWebSocket-dev/live/access",
        "/aws/lambda/alexHoSendInvoiceUpdate-dev",
        "/aws/lambda/alexHoWebSocketAuthorizer-dev",
        "/aws/lambda/alexHoWebSocketConnect-dev",
        "/aws/lambda/alexHoWebSocketDefault-dev",
        "/aws/lambda/alexHoWebSocketDisconnect-dev",
    ]


@pytest.mark.parametrize(
    "service",
    [
        pytest.param("sns.amazonaws.com", id="sns-topics-and-subscription-dlq"),
        pytest.param("cloudwatch.amazonaws.com", id="cloudwatch-alarms-to-alarm-topic"),
    ],
)
def test_key_policy_lets_senders_of_this_account_encrypt(
    dev: StackAndTemplate, service: str
) -> None:
    _, template = dev
    template.has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": service},
                                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                                "Condition": {
                                    "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
                                },
                            }
                        )
                    ]
                )
            }
        },
    )


@pytest.mark.parametrize(
    ("function_key", "grants"),
    [
        # Token verifiers read the signing key and the revocations table.
        (
            "authorizer",
            {"secretsmanager": "kms:Decrypt", "dynamodb": ["kms:Decrypt", "kms:DescribeKey"]},
        ),
        ("connect", {"dynamodb": ["kms:Decrypt", "kms:DescribeKey"]}),
        ("disconnect", {"dynamodb": ["kms:Decrypt", "kms:DescribeKey"]}),
        (
            "default",
            {"secretsmanager": "kms:Decrypt", "dynamodb": ["kms:Decrypt", "kms:DescribeKey"]},
        ),
        (
            "send_invoice_update",
            {
                "dynamodb": ["kms:Decrypt", "kms:DescribeKey"],
                "sqs": ["kms:Decrypt", "kms:GenerateDataKey"],
            },
        ),
    ],
)
def test_each_function_uses_the_key_only_through_the_services_it_calls(
    dev: StackAndTemplate, function_key: str, grants: dict[str, list[str] | str]
) -> None:
    # GIVEN a function's role
    stack, template = dev
    role = stack.realtime.functions[function_key].role
    assert role is not None
    statements = role_statements(template.to_json(), stack.resolve(role.role_name))
    # WHEN its KMS statements are read
    kms_statements = [s for s in statements if str(s["Action"]).startswith(("kms:", "['kms:"))]
    # THEN each is on the key only, through one service it calls (kms:ViaService)
    found = {}
    for statement in kms_statements:
        assert statement["Resource"] == _key_arn(stack)
        via = statement["Condition"]["StringEquals"]["kms:ViaService"]["Fn::Join"][1][0]
        found[via.removesuffix(".")] = statement["Action"]
    assert found == grants


def test_an_existing_key_encrypts_every_store_and_no_key_is_created(stack: Stack) -> None:
    # GIVEN a key brought by the caller (imported: its policy is the owner's)
    key = kms.Key.from_key_arn(stack, "Imported", IMPORTED_KEY_ARN)
    realtime(stack, storage=StorageOptions(encryption_key=key))
    template = Template.from_stack(stack)
    # THEN no key is created, every store names the caller's key
    template.resource_count_is("AWS::KMS::Key", 0)
    template.has_resource_properties(
        "AWS::DynamoDB::Table", {"SSESpecification": {"KMSMasterKeyId": IMPORTED_KEY_ARN}}
    )
    for resource_type, key_property, count in (
        ("AWS::SQS::Queue", "KmsMasterKeyId", 2),
        ("AWS::Logs::LogGroup", "KmsKeyId", 6),
        ("AWS::SecretsManager::Secret", "KmsKeyId", 1),
        ("AWS::SNS::Topic", "KmsMasterKeyId", 2),
    ):
        template.resource_properties_count_is(
            resource_type, {key_property: IMPORTED_KEY_ARN}, count
        )
    # AND synth warns that the key's policy must allow the services
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Realtime", Match.string_like_regexp("key policy cannot be changed here")
    )
