"""The operations dashboard: what an operator asks first, one row per question.

The state of every alarm, connects (the authorizer's EMF counts), API Gateway's connections,
messages and errors, the fan-out's deliveries (EMF counts) and duration percentiles,
errors/throttles/duration per function, and the depth of both dead-letter queues. EMF metrics
live in the construct's metrics namespace with the ``service`` dimension the runtime writes
(``alexho_invoice_runtime.observability``), one per instance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from aws_cdk import Aws, Duration
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

PERIOD: Final = Duration.minutes(1)
WIDTH: Final = 8  # three widgets per 24-unit row
#: EMF counters of the authorizer (``handlers/authorizer.py``).
CONNECT_METRICS: Final = ("ConnectAllowed", "ConnectDenied", "ConnectUnauthorized")
#: EMF counters of the fan-out (``handlers/send_invoice_update.py``).
DELIVERY_METRICS: Final = ("Delivered", "Gone", "Failed", "Retries")
#: The fan-out's EMF duration of one invocation, in milliseconds.
FAN_OUT_DURATION_METRIC: Final = "DurationMs"
#: API Gateway WebSocket metrics (``AWS/ApiGateway``, per API and stage).
API_METRICS: Final = (
    "ConnectCount",
    "MessageCount",
    "ClientError",
    "IntegrationError",
    "ExecutionError",
)
#: Title of the row that shows the state of every alarm.
ALARMS_TITLE: Final = "Alarms"


@dataclass(frozen=True)
class DashboardSources:
    """What the dashboard shows metrics of."""

    metrics_namespace: str
    service_name: str
    api: apigwv2.IWebSocketApi
    stage_name: str
    functions: Mapping[str, lambda_.IFunction]
    dead_letter_queues: Sequence[sqs.IQueue]

    def emf(self, name: str, statistic: str = "Sum", label: str | None = None) -> cloudwatch.Metric:
        """A metric the runtime writes in Embedded Metric Format (a label only for graphs: an
        alarm on a labelled metric is rendered as metric math)."""
        return cloudwatch.Metric(
            namespace=self.metrics_namespace,
            metric_name=name,
            dimensions_map={"service": self.service_name},
            statistic=statistic,
            period=PERIOD,
            label=label,
        )

    def api_metric(self, name: str, label: str | None = None) -> cloudwatch.Metric:
        """An ``AWS/ApiGateway`` metric of this API's stage."""
        return cloudwatch.Metric(
            namespace="AWS/ApiGateway",
            metric_name=name,
            dimensions_map={"ApiId": self.api.api_id, "Stage": self.stage_name},
            statistic="Sum",
            period=PERIOD,
            label=label,
        )


def _graph(
    title: str, metrics: Sequence[cloudwatch.IMetric], unit: str = ""
) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(
        title=title,
        left=list(metrics),
        width=WIDTH,
        height=6,
        left_y_axis=cloudwatch.YAxisProps(label=unit, show_units=False, min=0),
    )


def _per_function(
    sources: DashboardSources, title: str, metric_name: str, statistic: str
) -> cloudwatch.GraphWidget:
    return _graph(
        title,
        [
            function.metric(metric_name, statistic=statistic, period=PERIOD, label=key)
            for key, function in sources.functions.items()
        ],
    )


def create_dashboard(
    scope: Construct,
    dashboard_name: str,
    sources: DashboardSources,
    alarms: Sequence[cloudwatch.IAlarm],
) -> cloudwatch.Dashboard:
    """The dashboard ``<dashboard_name>-<region>`` (dashboard names are global per account):
    the state of every alarm first, then one row per question."""
    widgets: list[list[cloudwatch.IWidget]] = [
        [
            cloudwatch.AlarmStatusWidget(
                title=ALARMS_TITLE, alarms=list(alarms), width=3 * WIDTH, height=4
            )
        ],
        [
            _graph(
                "Connects allowed and denied", [sources.emf(m, label=m) for m in CONNECT_METRICS]
            ),
            _graph(
                "Connections and messages (API Gateway)",
                [sources.api_metric(m, label=m) for m in API_METRICS],
            ),
            _graph("Fan-out deliveries", [sources.emf(m, label=m) for m in DELIVERY_METRICS]),
        ],
        [
            _graph(
                "Fan-out duration",
                [
                    sources.emf(FAN_OUT_DURATION_METRIC, "p50", "p50"),
                    sources.emf(FAN_OUT_DURATION_METRIC, "p99", "p99"),
                ],
                unit="ms",
            ),
            _graph(
                "Dead-letter queue depth",
                [
                    queue.metric_approximate_number_of_messages_visible(
                        period=PERIOD, statistic="Maximum", label=name
                    )
                    for name, queue in zip(
                        ("subscription", "on-failure"), sources.dead_letter_queues, strict=True
                    )
                ],
            ),
            _per_function(sources, "Errors per function", "Errors", "Sum"),
        ],
        [
            _per_function(sources, "Throttles per function", "Throttles", "Sum"),
            _per_function(sources, "Duration per function (p99)", "Duration", "p99"),
        ],
    ]
    dashboard = cloudwatch.Dashboard(
        scope,
        "Dashboard",
        dashboard_name=f"{dashboard_name}-{Aws.REGION}",
        default_interval=Duration.hours(3),
    )
    for row in widgets:
        dashboard.add_widgets(*row)
    return dashboard
