"""The operations dashboard (on by default) and the fan-out's optional reserved concurrency."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Template

from alexho_invoice_realtime import FanOutOptions, ObservabilityOptions
from stacks import InvoiceRealtimeStack

from .conftest import realtime

StackAndTemplate = tuple[InvoiceRealtimeStack, Template]


def _dashboard_body(template: Template) -> dict[str, Any]:
    """The dashboard's JSON body, with every CloudFormation token replaced by ``"<token>"``."""
    (dashboard,) = template.find_resources("AWS::CloudWatch::Dashboard").values()
    parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    body: dict[str, Any] = json.loads(
        "".join(part if isinstance(part, str) else "<token>" for part in parts)
    )
    return body


def _widget(body: dict[str, Any], title: str) -> dict[str, Any]:
    widgets: list[dict[str, Any]] = body["widgets"]
    (widget,) = [w for w in widgets if w["properties"].get("title") == title]
    return widget


def _metric_names(widget: dict[str, Any]) -> list[str]:
    """Names of a graph's metrics (``[namespace, name, dimension, value, ..., options]``)."""
    return [metric[1] for metric in widget["properties"]["metrics"]]


@pytest.fixture(scope="module")
def body(dev: StackAndTemplate) -> dict[str, Any]:
    return _dashboard_body(dev[1])


def test_dashboard_is_named_after_the_instance_and_region(dev: StackAndTemplate) -> None:
    _, template = dev
    template.has_resource_properties(
        "AWS::CloudWatch::Dashboard",
        {
            "DashboardName": {
                "Fn::Join": ["", ["alexHoInvoiceRealtime-dev-", {"Ref": "AWS::Region"}]]
            }
        },
    )


def test_connects_allowed_and_denied_come_from_the_authorizer_emf_metrics(
    body: dict[str, Any],
) -> None:
    widget = _widget(body, "Connects allowed and denied")
    assert _metric_names(widget) == ["ConnectAllowed", "ConnectDenied", "ConnectUnauthorized"]
    assert {tuple(m[0:4]) for m in widget["properties"]["metrics"]} == {
        ("AlexHoInvoiceRealtime", name, "service", "alexHoInvoiceRealtime-dev")
        for name in _metric_names(widget)
    }


def test_connections_and_messages_come_from_api_gateway(body: dict[str, Any]) -> None:
    widget = _widget(body, "Connections and messages (API Gateway)")
    assert _metric_names(widget) == [
        "ConnectCount",
        "MessageCount",
        "ClientError",
        "IntegrationError",
        "ExecutionError",
    ]
    assert {(m[0], m[2], m[4], m[5]) for m in widget["properties"]["metrics"]} == {
        ("AWS/ApiGateway", "ApiId", "Stage", "live")
    }


def test_fan_out_deliveries_show_delivered_gone_failed_and_retries(body: dict[str, Any]) -> None:
    widget = _widget(body, "Fan-out deliveries")
    assert _metric_names(widget) == ["Delivered", "Gone", "Failed", "Retries"]


def test_fan_out_duration_shows_p50_and_p99(body: dict[str, Any]) -> None:
    widget = _widget(body, "Fan-out duration")
    assert [(m[1], m[-1]["stat"]) for m in widget["properties"]["metrics"]] == [
        ("DurationMs", "p50"),
        ("DurationMs", "p99"),
    ]


@pytest.mark.parametrize(
    ("title", "metric_name"),
    [
        ("Errors per function", "Errors"),
        ("Throttles per function", "Throttles"),
        ("Duration per function (p99)", "Duration"),
    ],
)
def test_every_function_has_errors_throttles_and_duration(
    body: dict[str, Any], title: str, metric_name: str
) -> None:
    widget = _widget(body, title)
    assert _metric_names(widget) == [metric_name] * 5
    assert sorted(m[-1]["label"] for m in widget["properties"]["metrics"]) == sorted(
        ["authorizer", "connect", "disconnect", "default", "send_invoice_update"]
    )


def test_the_first_row_shows_the_state_of_every_alarm(dev: StackAndTemplate) -> None:
    # GIVEN the dev stack's alarms
    stack, template = dev
    # WHEN the dashboard's alarm-status widget is read
    (dashboard,) = template.find_resources("AWS::CloudWatch::Dashboard").values()
    parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    (widget,) = [w for w in _dashboard_body(template)["widgets"] if w["type"] == "alarm"]
    alarm_arns = [part for part in parts if isinstance(part, dict)]
    # THEN it spans the first row and lists every alarm of the construct
    assert (widget["y"], widget["width"]) == (0, 24)
    assert len(widget["properties"]["alarms"]) == len(stack.realtime.alarms)
    for alarm in stack.realtime.alarms:
        assert stack.resolve(alarm.alarm_arn) in alarm_arns


def test_both_dead_letter_queues_show_their_depth(body: dict[str, Any]) -> None:
    widget = _widget(body, "Dead-letter queue depth")
    assert _metric_names(widget) == ["ApproximateNumberOfMessagesVisible"] * 2
    assert [m[-1]["label"] for m in widget["properties"]["metrics"]] == [
        "subscription",
        "on-failure",
    ]


def test_dashboard_prop_turns_it_off_and_reserved_concurrency_caps_the_fan_out(
    stack: Stack,
) -> None:
    # GIVEN an instance without the dashboard and with ten executions reserved for the fan-out
    construct = realtime(
        stack,
        observability=ObservabilityOptions(create_dashboard=False),
        fan_out=FanOutOptions(reserved_concurrency=10),
    )
    template = Template.from_stack(stack)
    # THEN there is no dashboard, and only the fan-out has reserved concurrency
    assert construct.dashboard is None
    template.resource_count_is("AWS::CloudWatch::Dashboard", 0)
    reserved = {
        function["Properties"]["FunctionName"]: function["Properties"].get(
            "ReservedConcurrentExecutions"
        )
        for function in template.find_resources("AWS::Lambda::Function").values()
    }
    assert {name: value for name, value in reserved.items() if value is not None} == {
        "alexHoSendInvoiceUpdate-test": 10
    }


def test_fan_out_has_no_reserved_concurrency_by_default(dev: StackAndTemplate) -> None:
    _, template = dev
    template.resource_properties_count_is(
        "AWS::Lambda::Function", {"ReservedConcurrentExecutions": 10}, 0
    )
    assert all(
        "ReservedConcurrentExecutions" not in function["Properties"]
        for function in template.find_resources("AWS::Lambda::Function").values()
    )
