"""Per-environment settings from the cdk.json context, and the stacks built from them."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, RemovalPolicy
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Match, Template

from alexho_invoice_runtime import definitions
from stacks import CONTEXT_KEY, AppSettings, EnvironmentSettings, build_app
from stacks.invoice_realtime_stack import ALARM_EMAIL_PARAMETER
from stacks.settings import ALARM_SUBSCRIBER_KEYS

from .conftest import ENVIRONMENTS, SynthesizedApp, cdk_json_context

TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:ops-alarms"


def _context_with(environment: dict[str, Any]) -> dict[str, Any]:
    """cdk.json's context with one environment, ``qa`` (opting out of alarm notifications
    unless ``environment`` names a subscriber)."""
    context = copy.deepcopy(cdk_json_context())
    if not set(ALARM_SUBSCRIBER_KEYS) & set(environment):
        environment = {**environment, "noAlarmSubscriber": "a test environment"}
    context[CONTEXT_KEY]["environments"] = {"qa": environment}
    return context


def test_cdk_json_settings_are_read_per_environment() -> None:
    # GIVEN the repository's cdk.json
    # WHEN its settings are parsed
    settings = AppSettings.from_context(cdk_json_context()[CONTEXT_KEY])
    dev, prod = settings.environments
    # THEN dev is disposable and prod is kept
    assert (dev.name, dev.removal_policy, dev.point_in_time_recovery) == (
        "dev",
        RemovalPolicy.DESTROY,
        False,
    )
    assert (prod.name, prod.removal_policy, prod.log_retention) == (
        "prod",
        RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        logs.RetentionDays.ONE_YEAR,
    )


def test_unknown_setting_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"environments\.qa: unknown setting\(s\) pitr"):
        EnvironmentSettings.from_context("qa", {"pitr": True})


def test_wrongly_typed_setting_is_refused() -> None:
    with pytest.raises(ValueError, match=r"environments\.qa\.throttleBurstLimit must be a int"):
        EnvironmentSettings.from_context("qa", {"throttleBurstLimit": "many"})


def test_unknown_removal_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="'SNAPSHOT' is not one of DESTROY, RETAIN"):
        EnvironmentSettings.from_context("qa", {"removalPolicy": "SNAPSHOT"})


def test_malformed_alarm_email_is_refused() -> None:
    with pytest.raises(ValueError, match=r"environments\.qa\.alarmEmail 'ops' is not an e-mail"):
        EnvironmentSettings.from_context("qa", {"alarmEmail": "ops"})


def test_jwks_environment_without_issuer_is_refused() -> None:
    auth = {
        "mode": definitions.AUTH_MODE_JWKS,
        "jwksUrl": "https://id.example/jwks.json",
        "audience": "portal",
    }
    with pytest.raises(ValueError, match="JWKS needs issuer"):
        EnvironmentSettings.from_context("qa", {"auth": auth})


def test_context_without_environments_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one environment"):
        AppSettings.from_context({"environments": {}})


def test_account_and_region_pin_the_stack_environment(tmp_path: Path) -> None:
    # GIVEN an environment with an account and a region
    app = App(
        context=_context_with({"account": "123456789012", "region": "eu-central-1"}),
        outdir=str(tmp_path),
    )
    # WHEN the app is built
    (stack,) = build_app(app)
    # THEN the stack is bound to them
    assert (stack.stack_name, stack.account, stack.region) == (
        "AlexHoInvoiceRealtime-qa",
        "123456789012",
        "eu-central-1",
    )


def test_alarm_topic_arn_gets_every_alarm(tmp_path: Path) -> None:
    # GIVEN an environment whose alarms go to a topic of the deployer's
    app = App(context=_context_with({"alarmTopicArn": TOPIC_ARN}), outdir=str(tmp_path))
    (stack,) = build_app(app)
    # WHEN it is synthesized with the AWS Solutions checks (the construct's warning that it
    # cannot change that topic's policy is acknowledged by the stack)
    template = Template.from_stack(stack)
    # THEN every alarm notifies that topic
    template.resource_properties_count_is(
        "AWS::CloudWatch::Alarm", {"AlarmActions": [TOPIC_ARN]}, len(stack.realtime.alarms)
    )


def test_alarm_email_is_subscribed_to_the_created_alarm_topic(tmp_path: Path) -> None:
    # GIVEN an environment that names an on-call address and no alarm topic
    app = App(context=_context_with({"alarmEmail": "oncall@example.com"}), outdir=str(tmp_path))
    # WHEN its stack is built
    (stack,) = build_app(app)
    # THEN the address is subscribed by e-mail to the topic every alarm notifies
    Template.from_stack(stack).has_resource_properties(
        "AWS::SNS::Subscription",
        {
            "Protocol": "email",
            "Endpoint": "oncall@example.com",
            "TopicArn": stack.resolve(stack.realtime.alarm_topic.topic_arn),
        },
    )


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_environment_sets_the_api_gateway_account_role_before_its_stage(
    synthesized_app: SynthesizedApp, environment: str
) -> None:
    # GIVEN an environment deployed into a fresh account, where no API Gateway CloudWatch role
    # is set yet and the stage logs access
    stack = synthesized_app.stacks[environment]
    template = synthesized_app.templates[environment]
    account = stack.realtime.api_gateway_account
    assert account is not None
    # THEN its own template sets the account's role, and the stage waits for that setting
    template.resource_count_is("AWS::ApiGateway::Account", 1)
    template.has_resource(
        "AWS::ApiGatewayV2::Stage", {"DependsOn": [stack.resolve(account.logical_id)]}
    )


def test_environment_without_an_alarm_subscriber_fails_naming_the_keys_to_set() -> None:
    # GIVEN an environment that says nothing about who hears its alarms
    # WHEN it is read
    # THEN synth stops with the keys that would fix it
    with pytest.raises(
        ValueError,
        match=r"environments\.qa has no alarm subscriber: set alarmEmail .*alarmTopicArn .*"
        r"alarmEmailAtDeploy: true .*--parameters AlarmEmail=.*noAlarmSubscriber",
    ):
        EnvironmentSettings.from_context("qa", {"logLevel": "INFO"})


def test_environment_with_two_alarm_subscribers_is_refused() -> None:
    with pytest.raises(ValueError, match=r"set only one of alarmEmail, noAlarmSubscriber"):
        EnvironmentSettings.from_context(
            "qa", {"alarmEmail": "ops@example.com", "noAlarmSubscriber": "nobody"}
        )


def test_empty_opt_out_reason_is_no_opt_out() -> None:
    with pytest.raises(ValueError, match="has no alarm subscriber"):
        EnvironmentSettings.from_context("qa", {"noAlarmSubscriber": ""})


def test_cdk_json_gives_every_environment_a_subscriber_given_at_deploy() -> None:
    # GIVEN the repository's cdk.json
    environments = AppSettings.from_context(cdk_json_context()[CONTEXT_KEY]).environments
    # THEN each environment's deployer gives the alarm address (none is committed), and no
    # environment opts out of being heard
    assert [(e.alarm_email_at_deploy, e.no_alarm_subscriber) for e in environments] == [
        (True, None)
    ] * len(environments)


def test_alarm_email_at_deploy_subscribes_the_address_the_deployer_gives(prod: Any) -> None:
    # GIVEN prod, whose alarm address is a CloudFormation parameter without a default
    stack, template = prod
    # THEN the template asks for an e-mail address and subscribes it to the alarm topic
    template.has_parameter(
        ALARM_EMAIL_PARAMETER, {"Type": "String", "AllowedPattern": Match.any_value()}
    )
    assert "Default" not in template.find_parameters(ALARM_EMAIL_PARAMETER)[ALARM_EMAIL_PARAMETER]
    template.has_resource_properties(
        "AWS::SNS::Subscription",
        {
            "Protocol": "email",
            "Endpoint": {"Ref": ALARM_EMAIL_PARAMETER},
            "TopicArn": stack.resolve(stack.realtime.alarm_topic.topic_arn),
        },
    )


def test_fan_out_reserved_concurrency_comes_from_cdk_json(tmp_path: Path) -> None:
    # GIVEN an environment that reserves 3 executions for the fan-out
    app = App(context=_context_with({"fanOutReservedConcurrency": 3}), outdir=str(tmp_path))
    (stack,) = build_app(app)
    # THEN the fan-out (and no other function) has that reserved concurrency
    reserved = {
        function["Properties"]["FunctionName"]: function["Properties"].get(
            "ReservedConcurrentExecutions"
        )
        for function in Template.from_stack(stack).find_resources("AWS::Lambda::Function").values()
    }
    assert {name: value for name, value in reserved.items() if value} == {
        "alexHoSendInvoiceUpdate-qa": 3
    }


def test_zero_reserved_concurrency_is_refused() -> None:
    with pytest.raises(ValueError, match=r"fanOutReservedConcurrency must be at least 1"):
        EnvironmentSettings.from_context(
            "qa", {"fanOutReservedConcurrency": 0, "noAlarmSubscriber": "test"}
        )


def test_jwks_environment_builds_a_stack_without_a_secret(tmp_path: Path) -> None:
    auth = {
        "mode": definitions.AUTH_MODE_JWKS,
        "jwksUrl": "https://id.example/.well-known/jwks.json",
        "issuer": "https://id.example",
        "audience": "portal",
        "claims": {"userType": "custom:userType"},
    }
    app = App(context=_context_with({"auth": auth}), outdir=str(tmp_path))
    (stack,) = build_app(app)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::SecretsManager::Secret", 0)
    assert stack.realtime.auth.claims.user_type == "custom:userType"
