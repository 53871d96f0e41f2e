"""CloudWatch alarms: dropped events, function errors and throttles, API Gateway failures,
authorizer failures and timeouts; and the alarm topic's permission for CloudWatch to notify
it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from aws_cdk import Annotations, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

PERIOD: Final = Duration.minutes(1)
#: The authorizer alarm fires when this many of the last :data:`AUTHORIZER_WINDOW` minutes
#: counted a failure: one blip (a JWKS fetch timing out once) does not page anyone.
AUTHORIZER_DATAPOINTS: Final = 2
AUTHORIZER_WINDOW: Final = 5
#: The near-timeout alarm fires when an invocation runs this share of its function's timeout
#: (a timed-out invocation reports a ``Duration`` of the whole timeout).
NEAR_TIMEOUT_SHARE: Final = 0.9
#: Sid of the alarm topic's statement that lets CloudWatch publish.
CLOUDWATCH_PUBLISH_SID: Final = "AllowThisStacksAlarmsToPublish"


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm that fires when its metric is above ``threshold`` (zero unless said) in
    ``datapoints`` of the last ``evaluation_periods`` one-minute periods."""

    construct_id: str
    alarm_name: str
    metric: cloudwatch.IMetric
    description: str
    evaluation_periods: int = 1
    datapoints: int = 1
    threshold: float = 0

    @classmethod
    def arrivals(cls, construct_id: str, alarm_name: str, queue: sqs.IQueue) -> AlarmSpec:
        """A message *sent to* ``queue`` (a dead-letter queue): a queue kept full for
        inspection does not hide the next failure, as a depth alarm would."""
        return cls(
            construct_id,
            alarm_name,
            queue.metric_number_of_messages_sent(period=PERIOD, statistic="Sum"),
            f"Undelivered invoice events arrived in {queue.queue_name}",
        )

    @classmethod
    def function_metric(
        cls, construct_id: str, alarm_name: str, function: lambda_.IFunction, metric_name: str
    ) -> AlarmSpec:
        """Any ``metric_name`` (``Errors``, ``Throttles``, ``DestinationDeliveryFailures``)
        of ``function`` in ``AWS/Lambda``."""
        return cls(
            construct_id,
            alarm_name,
            function.metric(metric_name, period=PERIOD, statistic="Sum"),
            f"{function.function_name}: {metric_name} above zero",
        )

    @classmethod
    def redrive_failures(cls, construct_id: str, alarm_name: str, topic: sns.ITopic) -> AlarmSpec:
        """SNS could not put a failed delivery into the subscription's dead-letter queue: the
        event is gone."""
        return cls(
            construct_id,
            alarm_name,
            topic.metric(
                "NumberOfNotificationsFailedToRedriveToDlq", period=PERIOD, statistic="Sum"
            ),
            f"{topic.topic_name}: failed deliveries could not reach the dead-letter queue",
        )

    @classmethod
    def api_errors(
        cls, construct_id: str, alarm_name: str, metric: cloudwatch.IMetric
    ) -> AlarmSpec:
        """``IntegrationError`` or ``ExecutionError`` of the stage (``AWS/ApiGateway``)."""
        return cls(construct_id, alarm_name, metric, "The WebSocket stage failed requests")

    @classmethod
    def authorizer_errors(
        cls, construct_id: str, alarm_name: str, failures: cloudwatch.IMetric
    ) -> AlarmSpec:
        """The authorizer's own count of failures (``AuthorizerErrors``, EMF): refused tokens
        are not counted, so no metric math against Lambda's ``Errors`` (whose datapoints lag
        the EMF ones) is needed; two failing minutes of five fire it."""
        return cls(
            construct_id,
            alarm_name,
            failures,
            "The $connect authorizer could not verify tokens (signing key or JWKS unreachable, "
            "or a bug): clients cannot connect",
            evaluation_periods=AUTHORIZER_WINDOW,
            datapoints=AUTHORIZER_DATAPOINTS,
        )

    @classmethod
    def near_timeout(
        cls,
        construct_id: str,
        alarm_name: str,
        function: lambda_.IFunction,
        timeout: Duration,
        description: str,
    ) -> AlarmSpec:
        """The longest invocation of ``function`` in a minute (``Duration``, Maximum) above
        :data:`NEAR_TIMEOUT_SHARE` of its ``timeout``, in two minutes of five: the timeouts
        that its handler cannot count, since it is stopped before it could."""
        return cls(
            construct_id,
            alarm_name,
            function.metric_duration(period=PERIOD, statistic="Maximum"),
            description,
            evaluation_periods=AUTHORIZER_WINDOW,
            datapoints=AUTHORIZER_DATAPOINTS,
            threshold=timeout.to_milliseconds() * NEAR_TIMEOUT_SHARE,
        )


def create_alarm(scope: Construct, spec: AlarmSpec, alarm_topic: sns.ITopic) -> cloudwatch.Alarm:
    """The alarm of ``spec``; ``alarm_topic`` hears both ALARM and OK."""
    alarm = cloudwatch.Alarm(
        scope,
        spec.construct_id,
        metric=spec.metric,
        alarm_name=spec.alarm_name,
        alarm_description=spec.description,
        threshold=spec.threshold,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods=spec.evaluation_periods,
        datapoints_to_alarm=spec.datapoints,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    action = cloudwatch_actions.SnsAction(alarm_topic)
    alarm.add_alarm_action(action)
    alarm.add_ok_action(action)
    return alarm


def cloudwatch_publish_statement(
    topic: sns.ITopic, alarms: Sequence[cloudwatch.IAlarm]
) -> iam.PolicyStatement:
    """``sns:Publish`` for ``cloudwatch.amazonaws.com`` on ``topic``, only on behalf of
    ``alarms`` in this account (``aws:SourceAccount``, ``aws:SourceArn``): a topic policy
    replaces SNS's default one, so without it no alarm could notify the topic."""
    return iam.PolicyStatement(
        sid=CLOUDWATCH_PUBLISH_SID,
        principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions=["sns:Publish"],
        resources=[topic.topic_arn],
        conditions={
            "StringEquals": {"aws:SourceAccount": Stack.of(topic).account},
            "ArnEquals": {"aws:SourceArn": [alarm.alarm_arn for alarm in alarms]},
        },
    )


def allow_alarms_to_publish(
    scope: Construct, topic: sns.ITopic, alarms: Sequence[cloudwatch.IAlarm]
) -> None:
    """Add :func:`cloudwatch_publish_statement` to ``topic``'s policy; for a topic imported by
    ARN (whose policy CDK cannot change) a synth warning says what its owner must allow."""
    if not topic.add_to_resource_policy(
        cloudwatch_publish_statement(topic, alarms)
    ).statement_added:
        Annotations.of(scope).add_warning_v2(
            "alexho:alarmTopicPolicy",
            "alarm_topic is imported, so its policy cannot be changed here: make sure it allows "
            "cloudwatch.amazonaws.com sns:Publish for this account's alarms (and, if the topic "
            "is encrypted, that its key lets cloudwatch.amazonaws.com use kms:Decrypt and "
            "kms:GenerateDataKey*; docs/infrastructure.md, Alarms)",
        )
