"""CloudWatch alarms: anything in a dead-letter queue, fan-out errors, authorizer failures."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

PERIOD = Duration.minutes(1)


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm that fires as soon as its metric is above zero."""

    construct_id: str
    alarm_name: str
    metric: cloudwatch.IMetric
    description: str

    @classmethod
    def dead_letters(cls, construct_id: str, alarm_name: str, queue: sqs.IQueue) -> AlarmSpec:
        """Any message visible in ``queue``."""
        return cls(
            construct_id,
            alarm_name,
            queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
            f"Undelivered invoice events are waiting in {queue.queue_name}",
        )

    @classmethod
    def errors(cls, construct_id: str, alarm_name: str, function: lambda_.IFunction) -> AlarmSpec:
        """Any invocation error (an exception, not a denied token) of ``function``."""
        return cls(
            construct_id,
            alarm_name,
            function.metric_errors(period=PERIOD, statistic="Sum"),
            f"{function.function_name} raised errors",
        )

    @classmethod
    def errors_except_refusals(
        cls,
        construct_id: str,
        alarm_name: str,
        function: lambda_.IFunction,
        refusals: cloudwatch.IMetric,
    ) -> AlarmSpec:
        """Errors of ``function`` that are not refusals.

        An authorizer refuses a connect (401) by raising ``Unauthorized``, which Lambda counts
        as an error; ``refusals`` (the function's own count of them) is subtracted, so that only
        failures (a bug, the signing key or the JWKS unreachable) raise the alarm.
        """
        return cls(
            construct_id,
            alarm_name,
            cloudwatch.MathExpression(
                expression="errors - FILL(refusals, 0)",
                using_metrics={
                    "errors": function.metric_errors(period=PERIOD, statistic="Sum"),
                    "refusals": refusals,
                },
                label="Errors that are not refusals",
                period=PERIOD,
            ),
            f"{function.function_name} failed (errors other than refused connects)",
        )


def create_alarm(
    scope: Construct, spec: AlarmSpec, alarm_topic: sns.ITopic | None
) -> cloudwatch.Alarm:
    """The alarm of ``spec``; ``alarm_topic`` (if any) hears both ALARM and OK."""
    alarm = cloudwatch.Alarm(
        scope,
        spec.construct_id,
        metric=spec.metric,
        alarm_name=spec.alarm_name,
        alarm_description=spec.description,
        threshold=0,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods=1,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    if alarm_topic is not None:
        action = cloudwatch_actions.SnsAction(alarm_topic)
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
    return alarm
