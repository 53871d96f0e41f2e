"""Per-environment settings from the cdk.json context, and the stacks built from them."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, RemovalPolicy
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Template

from alexho_invoice_runtime import definitions
from stacks import CONTEXT_KEY, AppSettings, EnvironmentSettings, build_app

from .conftest import SynthesizedApp, cdk_json_context

TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:ops-alarms"


def _context_with(environment: dict[str, Any]) -> dict[str, Any]:
    context = copy.deepcopy(cdk_json_context())
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
    app = App(context=_context_with({"alarmTopicArn": TOPIC_ARN}), outdir=str(tmp_path))
    (stack,) = build_app(app)
    Template.from_stack(stack).resource_properties_count_is(
        "AWS::CloudWatch::Alarm", {"AlarmActions": [TOPIC_ARN]}, 4
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


@pytest.mark.parametrize(("environment", "count"), [("dev", 1), ("prod", 0)])
def test_api_gateway_account_role_follows_the_environment_setting(
    synthesized_app: SynthesizedApp, environment: str, count: int
) -> None:
    # GIVEN cdk.json lets only dev set the account-level role (one per account and region)
    template = synthesized_app.templates[environment]
    # THEN only dev's template holds AWS::ApiGateway::Account
    template.resource_count_is("AWS::ApiGateway::Account", count)


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
