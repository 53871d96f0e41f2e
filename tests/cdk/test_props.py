"""Construct props: overrides take effect, conflicts and bad values fail early and clearly."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk import App, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match, Template

from alexho_invoice_realtime import (
    ApiOptions,
    AuthSettings,
    ClaimNames,
    FanOutOptions,
    ObservabilityOptions,
    StorageOptions,
)
from alexho_invoice_runtime import definitions
from alexho_invoice_runtime.definitions import Env

from .conftest import cdk_json_context, realtime
from .policies import actions_of, all_statements, role_statements

TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:existing-events"
NAME_PROPERTY = re.compile(r"FunctionName|TableName|TopicName|QueueName|AlarmName|Name|AliasName")
SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:signing-key-AbCdEf"
JWKS = AuthSettings(
    mode=definitions.AUTH_MODE_JWKS,
    jwks_url="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example/.well-known/jwks.json",
    issuer="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example",
    audience="invoice-portal",
)


def _authorizer_variables(template: Template) -> dict[str, Any]:
    functions = template.find_resources(
        "AWS::Lambda::Function",
        {"Properties": {"Handler": "alexho_invoice_runtime.handlers.authorizer.handler"}},
    )
    (function,) = functions.values()
    variables: dict[str, Any] = function["Properties"]["Environment"]["Variables"]
    return variables


# --- Overrides ---------------------------------------------------------------------------------


def test_name_prefix_and_suffix_name_every_resource(stack: Stack) -> None:
    # GIVEN a custom prefix and suffix
    realtime(stack, name_prefix="acme", environment_suffix="qa")
    # WHEN the template's function names are read
    names = [
        function["Properties"]["FunctionName"]
        for function in Template.from_stack(stack).find_resources("AWS::Lambda::Function").values()
    ]
    # THEN every one is acme<BaseName>-qa
    assert sorted(names) == [
        "acmeSendInvoiceUpdate-qa",
        "acmeWebSocketAuthorizer-qa",
        "acmeWebSocketConnect-qa",
        "acmeWebSocketDefault-qa",
        "acmeWebSocketDisconnect-qa",
    ]


def test_table_props_are_merged_over_the_secure_defaults(stack: Stack) -> None:
    # GIVEN an override of the connections table's class
    table_class = dynamodb.TableClass.STANDARD_INFREQUENT_ACCESS
    realtime(stack, storage=StorageOptions(connections_table_props={"table_class": table_class}))
    # THEN the override applies and the secure defaults stay
    Template.from_stack(stack).has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "TableName": "alexHoWebSocketConnections-test",
            "TableClass": "STANDARD_INFREQUENT_ACCESS",
            "SSESpecification": {"SSEEnabled": True},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        },
    )


def test_topic_props_override_the_display_name(stack: Stack) -> None:
    realtime(stack, fan_out=FanOutOptions(topic_props={"display_name": "Invoices (QA)"}))
    Template.from_stack(stack).has_resource_properties(
        "AWS::SNS::Topic", {"DisplayName": "Invoices (QA)", "KmsMasterKeyId": Match.any_value()}
    )


def test_stage_name_and_throttles_are_configurable(stack: Stack) -> None:
    construct = realtime(
        stack, api=ApiOptions(stage_name="v1", throttle_rate_limit=10, throttle_burst_limit=20)
    )
    Template.from_stack(stack).has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {
            "StageName": "v1",
            "DefaultRouteSettings": Match.object_like(
                {"ThrottlingRateLimit": 10, "ThrottlingBurstLimit": 20}
            ),
        },
    )
    assert stack.resolve(construct.callback_url)["Fn::Join"][1][-1] == "/v1"


def test_event_retention_reaches_the_delivery_functions(stack: Stack) -> None:
    realtime(stack, storage=StorageOptions(event_retention=Duration.hours(6)))
    Template.from_stack(stack).has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": "alexho_invoice_runtime.handlers.default.handler",
            "Environment": {
                "Variables": Match.object_like({Env.EVENT_RETENTION_SECONDS: str(6 * 3600)})
            },
        },
    )


def test_fan_out_retries_are_configurable(stack: Stack) -> None:
    realtime(stack, fan_out=FanOutOptions(retry_attempts=0, max_event_age=Duration.minutes(5)))
    Template.from_stack(stack).has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 300},
    )


def test_claim_names_reach_the_authorizer(stack: Stack) -> None:
    realtime(
        stack,
        auth=AuthSettings(claims=ClaimNames(user_type="custom:role", customer_id="custom:cid")),
    )
    variables = _authorizer_variables(Template.from_stack(stack))
    assert (variables[Env.CLAIM_USER_TYPE], variables[Env.CLAIM_CUSTOMER_ID]) == (
        "custom:role",
        "custom:cid",
    )


def test_existing_topic_is_subscribed_instead_of_creating_one(stack: Stack) -> None:
    events = sns.Topic.from_topic_arn(stack, "Events", TOPIC_ARN)
    construct = realtime(stack, fan_out=FanOutOptions(existing_topic=events))
    template = Template.from_stack(stack)
    template.resource_properties_count_is(
        "AWS::SNS::Topic", {"TopicName": "alexHoInvoiceEvents-test"}, 0
    )
    template.has_resource_properties(
        "AWS::SNS::Subscription", {"TopicArn": TOPIC_ARN, "Protocol": "lambda"}
    )
    assert construct.topic_key is None


def test_existing_auth_secret_is_used_instead_of_creating_one(stack: Stack) -> None:
    secret = secretsmanager.Secret.from_secret_complete_arn(stack, "Key", SECRET_ARN)
    realtime(stack, storage=StorageOptions(existing_auth_secret=secret))
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::SecretsManager::Secret", 0)
    assert _authorizer_variables(template)[Env.AUTH_SECRET_ID] == SECRET_ARN


def test_jwks_mode_configures_the_authorizer_without_a_secret(stack: Stack) -> None:
    # GIVEN an OIDC issuer (Cognito) instead of a shared key
    construct = realtime(stack, auth=JWKS)
    template = Template.from_stack(stack)
    # THEN no secret exists, the authorizer cannot read secrets, and it knows the issuer
    template.resource_count_is("AWS::SecretsManager::Secret", 0)
    assert construct.secret is None
    variables = _authorizer_variables(template)
    assert {
        key: variables[key]
        for key in (Env.AUTH_MODE, Env.AUTH_JWKS_URL, Env.AUTH_ISSUER, Env.AUTH_AUDIENCE)
    } == {
        Env.AUTH_MODE: definitions.AUTH_MODE_JWKS,
        Env.AUTH_JWKS_URL: JWKS.jwks_url,
        Env.AUTH_ISSUER: JWKS.issuer,
        Env.AUTH_AUDIENCE: JWKS.audience,
    }
    role = stack.resolve(construct.authorizer_function.role.role_name)  # type: ignore[union-attr]
    assert actions_of(role_statements(template.to_json(), role)) == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "dynamodb:BatchGetItem",  # revocations, by key
        "kms:Decrypt",  # the revocations table's key, through DynamoDB only
        "kms:DescribeKey",
    }


def test_grant_publish_allows_publishing_and_the_topic_key(stack: Stack) -> None:
    # GIVEN a backend role
    construct = realtime(stack)
    backend = iam.Role(stack, "Backend", assumed_by=iam.AccountRootPrincipal())
    # WHEN it is granted publishing
    construct.grant_publish(backend)
    # THEN it may publish to the topic and use the topic's key for that
    template = Template.from_stack(stack)
    statements = role_statements(template.to_json(), stack.resolve(backend.role_name))
    assert actions_of(statements) == {"sns:Publish", "kms:Decrypt", "kms:GenerateDataKey*"}
    assert construct.topic_key is not None
    key_statement = next(s for s in statements if "kms:Decrypt" in s["Action"])
    assert key_statement["Resource"] == stack.resolve(construct.topic_key.key_arn)


def test_removal_policy_and_pitr_are_configurable(stack: Stack) -> None:
    realtime(
        stack,
        storage=StorageOptions(removal_policy=RemovalPolicy.DESTROY, point_in_time_recovery=False),
    )
    template = Template.from_stack(stack)
    template.resource_properties_count_is(
        "AWS::DynamoDB::Table",
        {"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": False}},
        3,
    )
    assert len(template.find_resources("AWS::DynamoDB::Table", {"DeletionPolicy": "Delete"})) == 3


# --- Two instances -----------------------------------------------------------------------------


def test_two_instances_in_one_stack_synth_without_collisions(stack: Stack) -> None:
    # GIVEN two instances with different suffixes in one stack
    realtime(stack, "Blue", environment_suffix="blue")
    realtime(stack, "Green", environment_suffix="green")
    # WHEN synthesized
    template = Template.from_stack(stack).to_json()
    # THEN no physical name repeats, and the account-level logging role exists once
    names = Counter(
        (resource["Type"], value)
        for resource in template["Resources"].values()
        for key, value in resource.get("Properties", {}).items()
        if isinstance(value, str) and NAME_PROPERTY.fullmatch(key)
    )
    assert [name for name, count in names.items() if count > 1] == []
    per_instance = Counter(name.rsplit("-", 1)[-1] for _, name in names)
    assert per_instance == {"blue": len(names) // 2, "green": len(names) // 2}
    resource_types = Counter(r["Type"] for r in template["Resources"].values())
    assert resource_types["AWS::ApiGateway::Account"] == 1


def test_two_environments_in_one_app_synth_side_by_side(tmp_path: Any) -> None:
    # GIVEN one app with two stacks, each holding an instance (as dev and prod do)
    app = App(context=cdk_json_context(), outdir=str(tmp_path))
    for suffix in ("one", "two"):
        realtime(Stack(app, f"Stack-{suffix}"), environment_suffix=suffix)
    # WHEN the app is synthesized
    assembly = app.synth()
    # THEN both templates exist
    assert sorted(stack.stack_name for stack in assembly.stacks) == ["Stack-one", "Stack-two"]


# --- Conflicts and bad values ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "existing", "props_name", "props"),
    [
        (FanOutOptions, "existing_topic", "topic_props", {"display_name": "x"}),
        (
            StorageOptions,
            "existing_connections_table",
            "connections_table_props",
            {"table_class": None},
        ),
        (
            StorageOptions,
            "existing_event_log_table",
            "event_log_table_props",
            {"table_class": None},
        ),
        (StorageOptions, "existing_auth_secret", "auth_secret_props", {"description": "x"}),
    ],
)
def test_existing_resource_and_its_props_together_raise(
    stack: Stack, group: Any, existing: str, props_name: str, props: dict[str, Any]
) -> None:
    # GIVEN an existing resource AND overrides for creating that same resource
    existing_resources: dict[str, object] = {
        "existing_topic": sns.Topic.from_topic_arn(stack, "T", TOPIC_ARN),
        "existing_connections_table": dynamodb.Table.from_table_name(stack, "C", "c"),
        "existing_event_log_table": dynamodb.Table.from_table_name(stack, "E", "e"),
        "existing_auth_secret": secretsmanager.Secret.from_secret_complete_arn(
            stack, "S", SECRET_ARN
        ),
    }
    conflicting: dict[str, Any] = {existing: existing_resources[existing], props_name: props}
    # WHEN their option group is created THEN the conflict is named
    with pytest.raises(ValueError, match=f"either {existing} .* or {props_name}"):
        group(**conflicting)


def test_table_props_cannot_change_the_key_schema(stack: Stack) -> None:
    key = dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING)
    with pytest.raises(ValueError, match="cannot override partition_key"):
        realtime(stack, storage=StorageOptions(connections_table_props={"partition_key": key}))


@pytest.mark.parametrize("missing", ["jwks_url", "issuer", "audience"])
def test_jwks_mode_without_issuer_settings_raises(missing: str) -> None:
    settings: dict[str, Any] = {
        "jwks_url": JWKS.jwks_url,
        "issuer": JWKS.issuer,
        "audience": JWKS.audience,
    }
    settings[missing] = None
    with pytest.raises(ValueError, match=f"JWKS needs {missing}"):
        AuthSettings(mode=definitions.AUTH_MODE_JWKS, **settings)


def test_unknown_auth_mode_raises() -> None:
    with pytest.raises(ValueError, match="'RS512' is not one of HS256, JWKS"):
        AuthSettings(mode="RS512")


def test_jwks_mode_with_an_hs256_secret_raises(stack: Stack) -> None:
    secret = secretsmanager.Secret.from_secret_complete_arn(stack, "Key", SECRET_ARN)
    with pytest.raises(ValueError, match="only apply to auth mode HS256"):
        realtime(stack, auth=JWKS, storage=StorageOptions(existing_auth_secret=secret))


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"name_prefix": "alex-ho"}, "name_prefix 'alex-ho' must start with a letter"),
        ({"environment_suffix": "dev_1"}, "environment_suffix 'dev_1' must be letters"),
        ({"name_prefix": "a" * 40}, "too long"),
    ],
)
def test_bad_names_raise_before_any_resource_exists(
    stack: Stack, props: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        realtime(stack, **props)
    assert stack.node.find_child("Realtime").node.children == []


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ApiOptions(stage_name="$default"), "stage_name '\\$default'"),
        (lambda: ApiOptions(throttle_rate_limit=0), "must be positive"),
        (lambda: ApiOptions(max_token_lifetime=Duration.millis(1500)), "whole seconds"),
        (lambda: FanOutOptions(retry_attempts=3), "0, 1 or 2"),
        (lambda: FanOutOptions(max_event_age=Duration.hours(7)), "from 60 s to 6 h"),
        (lambda: FanOutOptions(reserved_concurrency=0), "at least 1"),
        (lambda: ObservabilityOptions(log_level="VERBOSE"), "log_level 'VERBOSE'"),
    ],
    ids=[
        "stage-name",
        "throttle",
        "token-lifetime",
        "retries",
        "event-age",
        "reserved-concurrency",
        "log-level",
    ],
)
def test_each_option_group_refuses_bad_values_when_created(
    build: Callable[[], object], message: str
) -> None:
    # GIVEN a bad value in an option group
    # WHEN the group is created THEN it raises, naming the value (no construct exists yet)
    with pytest.raises(ValueError, match=message):
        build()


def test_option_groups_are_frozen() -> None:
    # GIVEN an option group
    options = StorageOptions()
    # WHEN a field is assigned THEN it refuses (options are values, shared safely)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.point_in_time_recovery = False  # type: ignore[misc]


def test_no_function_of_any_variant_can_scan(stack: Stack) -> None:
    realtime(stack, "Hs", environment_suffix="hs")
    realtime(stack, "Jwks", environment_suffix="jwks", auth=JWKS)
    actions = actions_of(list(all_statements(Template.from_stack(stack).to_json())))
    assert "dynamodb:Scan" not in actions
