"""Redeploying a retaining environment after ``cdk destroy`` (docs/infrastructure.md,
"Redeploying after cdk destroy"): what the runbook relies on in the template."""

from __future__ import annotations

from typing import Any

from aws_cdk import RemovalPolicy, Stack
from aws_cdk.assertions import Template

from alexho_invoice_realtime import StorageOptions
from stacks import InvoiceRealtimeStack

from .conftest import realtime

StackAndTemplate = tuple[InvoiceRealtimeStack, Template]
RETAINED = ("Retain", "RetainExceptOnCreate")
#: What `cdk import` identifies each retained store by (the runbook's mapping table).
IMPORT_IDENTIFIERS = {
    "AWS::KMS::Key": "KeyId",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SQS::Queue": "QueueUrl",
    "AWS::SecretsManager::Secret": "Id",
    "AWS::Logs::LogGroup": "LogGroupName",
}
#: Retained, but never in the way of a new create (unnamed; the account setting is a singleton).
ACCOUNT_LEVEL = ("AWS::IAM::Role", "AWS::ApiGateway::Account")
#: The property naming each named store, which CloudFormation or the operator finds it by.
NAME_PROPERTIES = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::Logs::LogGroup": "LogGroupName",
}


def _retained(template: Template) -> dict[str, dict[str, Any]]:
    resources: dict[str, dict[str, Any]] = template.to_json()["Resources"]
    return {
        logical_id: resource
        for logical_id, resource in resources.items()
        if resource.get("DeletionPolicy") in RETAINED
    }


def test_every_store_prod_retains_is_covered_by_the_import_runbook(prod: StackAndTemplate) -> None:
    # GIVEN what prod keeps after `cdk destroy`
    _, template = prod
    retained = _retained(template)
    # WHEN their types are counted
    types = sorted(resource["Type"] for resource in retained.values())
    # THEN each is a store the runbook's mapping names, or the account-level API Gateway setting
    assert types == sorted(
        ["AWS::KMS::Key", "AWS::SecretsManager::Secret"]
        + ["AWS::DynamoDB::Table"] * 3
        + ["AWS::SQS::Queue"] * 2
        + ["AWS::Logs::LogGroup"] * 6
        + list(ACCOUNT_LEVEL)
    )
    assert {t for t in types if t not in ACCOUNT_LEVEL} == set(IMPORT_IDENTIFIERS)


def test_every_named_store_prod_retains_has_a_static_name(prod: StackAndTemplate) -> None:
    # GIVEN prod's retained tables, queues, secret and log groups
    _, template = prod
    named = [
        (resource["Type"], resource["Properties"][NAME_PROPERTIES[resource["Type"]]])
        for resource in _retained(template).values()
        if resource["Type"] in NAME_PROPERTIES
    ]
    # THEN each carries a literal name with the environment in it (CloudFormation's automatic
    # import and the runbook's lookups need one; a token would differ per deploy)
    assert {kind for kind, _ in named} == set(NAME_PROPERTIES)
    for _, name in named:
        assert isinstance(name, str), name
        assert "-prod" in name, name


def test_the_key_alias_is_not_retained_and_follows_the_key(prod: StackAndTemplate) -> None:
    # GIVEN the data key's alias, which `cdk destroy` deletes
    stack, template = prod
    (alias,) = template.find_resources("AWS::KMS::Alias").values()
    # THEN the next deploy recreates it, on whichever key the stack then holds
    assert alias.get("DeletionPolicy") not in RETAINED
    assert alias["Properties"] == {
        "AliasName": "alias/alexHoInvoiceRealtime-prod",
        "TargetKeyId": stack.resolve(stack.realtime.encryption_key.key_arn),
    }


def test_prod_tables_have_no_deletion_protection_so_a_first_create_can_roll_back(
    prod: StackAndTemplate,
) -> None:
    # GIVEN prod's RETAIN_ON_UPDATE_OR_DELETE, which deletes tables when the first create rolls back
    _, template = prod
    # THEN deletion protection (which would make that rollback fail) is off
    template.resource_properties_count_is(
        "AWS::DynamoDB::Table", {"DeletionProtectionEnabled": False}, 3
    )


def test_tables_kept_with_retain_are_protected_from_deletion(stack: Stack) -> None:
    # GIVEN an instance whose stores are always retained
    realtime(stack, storage=StorageOptions(removal_policy=RemovalPolicy.RETAIN))
    # THEN its tables cannot be deleted by hand by mistake either
    Template.from_stack(stack).resource_properties_count_is(
        "AWS::DynamoDB::Table", {"DeletionProtectionEnabled": True}, 3
    )
