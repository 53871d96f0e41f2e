"""Alarms, the alarm topic (and CloudWatch's permission to publish to it) and the dashboard.

A component, not a construct: it creates its resources in the ``AlexHoInvoiceRealtime`` scope
it is given, so that their logical ids stay those of deployed stacks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from .alarms import AlarmSpec, allow_alarms_to_publish, create_alarm
from .dashboard import DashboardSources, create_dashboard
from .functions import AUTHORIZER
from .messaging import create_alarm_topic
from .naming import PhysicalNames
from .props import ObservabilityOptions
from .storage import SYSTEM_BASE_NAME

#: The authorizer's EMF count of verification failures (``handlers/authorizer.py``).
AUTHORIZER_ERRORS_METRIC: Final = "AuthorizerErrors"
ALARM_TOPIC_BASE_NAME: Final = "InvoiceRealtimeAlarms"
#: The route functions whose errors and throttles are alarmed on: (key, alarm label).
ROUTE_FUNCTIONS: Final = (
    ("connect", "Connect"),
    ("disconnect", "Disconnect"),
    ("default", "Default"),
)


class Monitoring:
    """Every alarm (``alarms``, also ``by_id``), notifying ``alarm_topic``; the dashboard."""

    def __init__(
        self,
        scope: Construct,
        names: PhysicalNames,
        sources: DashboardSources,
        *,
        topic: sns.ITopic,
        encryption_key: kms.IKey,
        options: ObservabilityOptions,
    ) -> None:
        self._names = names
        self.alarm_topic: sns.ITopic = options.alarm_topic or create_alarm_topic(
            scope, names.name(ALARM_TOPIC_BASE_NAME), encryption_key
        )
        specs = alarm_specs(names, sources, topic)
        self.by_id: Mapping[str, cloudwatch.Alarm] = {
            spec.construct_id: create_alarm(scope, spec, self.alarm_topic) for spec in specs
        }
        self.alarms: tuple[cloudwatch.Alarm, ...] = tuple(self.by_id.values())
        allow_alarms_to_publish(scope, self.alarm_topic, self.alarms)
        self.dashboard: cloudwatch.Dashboard | None = (
            create_dashboard(scope, names.name(SYSTEM_BASE_NAME), sources, self.alarms)
            if options.create_dashboard
            else None
        )


def alarm_specs(
    names: PhysicalNames, sources: DashboardSources, topic: sns.ITopic
) -> list[AlarmSpec]:
    """Every alarm: an event dropped or set aside, a route's function failing or throttled, the
    stage failing requests, the authorizer unable to verify tokens or running to its timeout."""
    name = names.name
    functions: Mapping[str, lambda_.IFunction] = sources.functions
    fan_out = functions["send_invoice_update"]
    subscription_dlq, on_failure_dlq = _dead_letter_queues(sources.dead_letter_queues)
    specs = [
        AlarmSpec.arrivals(
            "SubscriptionDeadLetterAlarm",
            name("SendInvoiceUpdateSubscriptionDlqArrivals"),
            subscription_dlq,
        ),
        AlarmSpec.arrivals(
            "OnFailureDeadLetterAlarm",
            name("SendInvoiceUpdateOnFailureDlqArrivals"),
            on_failure_dlq,
        ),
        AlarmSpec.function_metric(
            "SendInvoiceUpdateErrorsAlarm", name("SendInvoiceUpdateErrors"), fan_out, "Errors"
        ),
        AlarmSpec.function_metric(
            "SendInvoiceUpdateDestinationFailuresAlarm",
            name("SendInvoiceUpdateDestinationDeliveryFailures"),
            fan_out,
            "DestinationDeliveryFailures",
        ),
        AlarmSpec.redrive_failures(
            "SubscriptionRedriveFailuresAlarm", name("InvoiceEventsFailedToRedriveToDlq"), topic
        ),
        AlarmSpec.authorizer_errors(
            "AuthorizerErrorsAlarm",
            name("WebSocketAuthorizerErrors"),
            sources.emf(AUTHORIZER_ERRORS_METRIC),
        ),
        AlarmSpec.near_timeout(
            "AuthorizerNearTimeoutAlarm",
            name("WebSocketAuthorizerNearTimeout"),
            functions["authorizer"],
            Duration.seconds(AUTHORIZER.timeout_seconds),
            "The $connect authorizer ran to its timeout (signing key or JWKS slow to answer): "
            "connects wait and fail",
        ),
    ]
    for key, label in ROUTE_FUNCTIONS:
        specs.extend(
            AlarmSpec.function_metric(
                f"{label}{metric}Alarm", name(f"WebSocket{label}{metric}"), functions[key], metric
            )
            for metric in ("Errors", "Throttles")
        )
    specs.extend(
        AlarmSpec.function_metric(
            f"{label}ThrottlesAlarm", name(f"{base}Throttles"), functions[key], "Throttles"
        )
        for key, label, base in (
            ("authorizer", "Authorizer", "WebSocketAuthorizer"),
            ("send_invoice_update", "SendInvoiceUpdate", "SendInvoiceUpdate"),
        )
    )
    specs.extend(
        AlarmSpec.api_errors(
            f"Api{metric}Alarm", name(f"InvoiceWebSocket{metric}s"), sources.api_metric(metric)
        )
        for metric in ("IntegrationError", "ExecutionError")
    )
    return specs


def _dead_letter_queues(queues: Sequence[sqs.IQueue]) -> tuple[sqs.IQueue, sqs.IQueue]:
    subscription_dlq, on_failure_dlq = queues
    return subscription_dlq, on_failure_dlq
