"""Token lifetime and revocation in the construct: the revocations table, the maximum lifetime
setting, ``refresh`` in ``$default``, and the least-privilege grants that go with them."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template

from alexho_invoice_realtime import ApiOptions
from alexho_invoice_runtime import definitions
from alexho_invoice_runtime.definitions import Env
from stacks import EnvironmentSettings, InvoiceRealtimeStack

from .conftest import realtime
from .policies import actions_of, resources_of, role_statements

StackAndTemplate = tuple[InvoiceRealtimeStack, Template]
REVOCATIONS_TABLE = "alexHoWebSocketRevocations-dev"


def _role_ref(stack: InvoiceRealtimeStack, function_key: str) -> Any:
    role = stack.realtime.functions[function_key].role
    assert role is not None
    return stack.resolve(role.role_name)


def _statements(dev: StackAndTemplate, function_key: str) -> list[dict[str, Any]]:
    stack, template = dev
    return role_statements(template.to_json(), _role_ref(stack, function_key))


def _variables(template: Template, module: str) -> dict[str, Any]:
    (function,) = template.find_resources(
        "AWS::Lambda::Function",
        {"Properties": {"Handler": f"alexho_invoice_runtime.handlers.{module}.handler"}},
    ).values()
    variables: dict[str, Any] = function["Properties"]["Environment"]["Variables"]
    return variables


def test_revocations_table_matches_the_shared_definition_and_expires_items(
    dev: StackAndTemplate,
) -> None:
    # GIVEN the CreateTable definition the runtime and the local stack use
    _, template = dev
    expected = definitions.revocations_table_definition(REVOCATIONS_TABLE)
    # THEN the synthesized table has its keys, billing and a TTL on expiresAt
    template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "TableName": REVOCATIONS_TABLE,
            "KeySchema": expected["KeySchema"],
            "AttributeDefinitions": expected["AttributeDefinitions"],
            "BillingMode": "PAY_PER_REQUEST",
            "TimeToLiveSpecification": {
                "AttributeName": definitions.REVOCATION_EXPIRES_AT,
                "Enabled": True,
            },
        },
    )


def test_audience_index_projects_what_fan_out_checks_and_subject_index_exists(
    dev: StackAndTemplate,
) -> None:
    _, template = dev
    template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "TableName": "alexHoWebSocketConnections-dev",
            "GlobalSecondaryIndexes": Match.array_with(
                [
                    Match.object_like(
                        {
                            "IndexName": definitions.AUDIENCE_INDEX,
                            "Projection": {
                                "ProjectionType": "INCLUDE",
                                "NonKeyAttributes": list(definitions.AUDIENCE_INDEX_ATTRIBUTES),
                            },
                        }
                    ),
                    Match.object_like(
                        {
                            "IndexName": definitions.SUBJECT_INDEX,
                            "Projection": {"ProjectionType": "KEYS_ONLY"},
                        }
                    ),
                ]
            ),
        },
    )


@pytest.mark.parametrize(
    "function_key", ["authorizer", "connect", "default", "send_invoice_update"]
)
def test_token_checkers_may_only_batch_get_revocations(
    dev: StackAndTemplate, function_key: str
) -> None:
    # GIVEN a function that checks revocations
    stack, _ = dev
    # WHEN its statements on the revocations table are read
    on_revocations = [
        s
        for s in _statements(dev, function_key)
        if s["Resource"] == stack.resolve(stack.realtime.revocations_table.table_arn)
    ]
    # THEN it reads by key only: no Scan, no Query, no write
    assert actions_of(on_revocations) == {"dynamodb:BatchGetItem"}


def test_default_verifies_refresh_tokens_with_the_authorizer_settings(
    dev: StackAndTemplate,
) -> None:
    stack, template = dev
    authorizer, default = _variables(template, "authorizer"), _variables(template, "default")
    for name in (
        Env.AUTH_MODE,
        Env.AUTH_SECRET_ID,
        Env.AUTH_MAX_TOKEN_LIFETIME,
        Env.REVOCATIONS_TABLE,
        Env.CLAIM_SUB,
    ):
        assert default[name] == authorizer[name]
    secret = stack.realtime.secret
    assert secret is not None
    (read_secret,) = [
        s for s in _statements(dev, "default") if s["Action"] == "secretsmanager:GetSecretValue"
    ]
    assert read_secret["Resource"] == stack.resolve(secret.secret_arn)


def test_default_may_update_and_delete_only_connection_rows(dev: StackAndTemplate) -> None:
    stack, _ = dev
    (rows,) = [
        s
        for s in _statements(dev, "default")
        if s["Resource"] == stack.resolve(stack.realtime.connections_table.table_arn)
    ]
    assert set(rows["Action"]) == {"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}


@pytest.mark.parametrize("function_key", ["default", "send_invoice_update"])
def test_closers_may_delete_connections_on_this_stage_only(
    dev: StackAndTemplate, function_key: str
) -> None:
    stack, _ = dev
    api_id = stack.resolve(stack.realtime.api.api_id)
    resources = [
        resource["Fn::Join"][1][-2:]
        for resource in resources_of(
            _statements(dev, function_key), "execute-api:ManageConnections"
        )
    ]
    assert sorted(resources, key=str) == sorted(
        [[api_id, "/live/POST/@connections/*"], [api_id, "/live/DELETE/@connections/*"]], key=str
    )


def test_max_token_lifetime_defaults_to_one_hour_from_cdk_json(dev: StackAndTemplate) -> None:
    _, template = dev
    assert _variables(template, "authorizer")[Env.AUTH_MAX_TOKEN_LIFETIME] == "3600"


def test_max_token_lifetime_setting_is_parsed_and_bounded() -> None:
    unwatched = {"noAlarmSubscriber": "a test environment"}
    settings = EnvironmentSettings.from_context("qa", {**unwatched, "maxTokenLifetimeMinutes": 15})
    assert settings.max_token_lifetime.to_seconds() == 900
    assert EnvironmentSettings.from_context("qa", unwatched).max_token_lifetime.to_seconds() == 3600
    with pytest.raises(ValueError, match=r"maxTokenLifetimeMinutes must be from 1 to 1440"):
        EnvironmentSettings.from_context("qa", {"maxTokenLifetimeMinutes": 60 * 24 * 365})


def test_max_token_lifetime_prop_out_of_range_raises(stack: Stack) -> None:
    with pytest.raises(ValueError, match="max_token_lifetime must be whole seconds"):
        realtime(stack, api=ApiOptions(max_token_lifetime=Duration.days(2)))


def test_grant_revoke_is_least_privilege(stack: Stack) -> None:
    # GIVEN a backend role
    construct = realtime(stack)
    backend = iam.Role(stack, "Backend", assumed_by=iam.AccountRootPrincipal())
    # WHEN it is granted revoking
    construct.grant_revoke(backend)
    # THEN it may record a revocation, find connections through the two indexes, delete their
    # rows and close them on this stage; nothing else (no Scan, no read of the revocations)
    template = Template.from_stack(stack)
    statements = role_statements(template.to_json(), stack.resolve(backend.role_name))
    by_action = {str(s["Action"]): s["Resource"] for s in statements}
    connections_arn = stack.resolve(construct.connections_table.table_arn)
    assert set(by_action) == {
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:DeleteItem",
        "execute-api:ManageConnections",
        "['kms:Decrypt', 'kms:DescribeKey']",  # the tables' key, through DynamoDB only
    }
    assert by_action["dynamodb:PutItem"] == stack.resolve(construct.revocations_table.table_arn)
    assert by_action["dynamodb:Query"] == [
        {"Fn::Join": ["", [connections_arn, f"/index/{definitions.AUDIENCE_INDEX}"]]},
        {"Fn::Join": ["", [connections_arn, f"/index/{definitions.SUBJECT_INDEX}"]]},
    ]
    assert by_action["dynamodb:DeleteItem"] == connections_arn
    assert by_action["execute-api:ManageConnections"]["Fn::Join"][1][-2:] == [
        stack.resolve(construct.api.api_id),
        "/live/DELETE/@connections/*",
    ]
