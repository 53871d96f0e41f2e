"""One environment: its settings in, an ``AlexHoInvoiceRealtime`` and its outputs out."""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, CfnOutput, CfnParameter, Fn, Stack, Validations
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from alexho_invoice_realtime import (
    AlexHoInvoiceRealtime,
    ApiOptions,
    FanOutOptions,
    ObservabilityOptions,
    StorageOptions,
)
from alexho_invoice_runtime.definitions import StackOutputs

from .settings import EnvironmentSettings

#: CloudFormation parameter of an environment with ``alarmEmailAtDeploy``:
#: ``cdk deploy <stack> --parameters AlarmEmail=<address>``.
ALARM_EMAIL_PARAMETER = "AlarmEmail"


class InvoiceRealtimeStack(Stack):
    """Thin stack: wires :class:`EnvironmentSettings` into the construct; no logic of its own."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: EnvironmentSettings,
        name_prefix: str,
        **stack_props: Any,
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"AlexHo real-time invoice updates ({settings.name})",
            **stack_props,
        )
        existing_secret = (
            secretsmanager.Secret.from_secret_complete_arn(
                self, "AuthSecret", settings.auth_secret_arn
            )
            if settings.auth_secret_arn
            else None
        )
        alarm_topic = (
            sns.Topic.from_topic_arn(self, "AlarmTopic", settings.alarm_topic_arn)
            if settings.alarm_topic_arn
            else None
        )
        self.realtime = AlexHoInvoiceRealtime(
            self,
            "Realtime",
            name_prefix=name_prefix,
            environment_suffix=settings.name,
            auth=settings.auth,
            storage=StorageOptions(
                existing_auth_secret=existing_secret,
                event_retention=settings.event_retention,
                point_in_time_recovery=settings.point_in_time_recovery,
                removal_policy=settings.removal_policy,
            ),
            api=ApiOptions(
                stage_name=settings.stage_name,
                throttle_rate_limit=settings.throttle_rate_limit,
                throttle_burst_limit=settings.throttle_burst_limit,
                max_token_lifetime=settings.max_token_lifetime,
                create_api_gateway_cloudwatch_role=settings.api_gateway_cloudwatch_role,
            ),
            fan_out=FanOutOptions(reserved_concurrency=settings.fan_out_reserved_concurrency),
            observability=ObservabilityOptions(
                log_retention=settings.log_retention,
                log_level=settings.log_level,
                alarm_topic=alarm_topic,
            ),
        )
        if alarm_topic is not None:
            # The construct warns that it cannot change an imported topic's policy.
            Validations.of(self.realtime).acknowledge(
                Acknowledgment(
                    id="Annotation::alexho:alarmTopicPolicy",
                    reason="alarmTopicArn names a topic of the deployer's, whose policy must let "
                    "CloudWatch publish (docs/infrastructure.md, Alarm notifications)",
                )
            )
        alarm_email = settings.alarm_email
        if settings.alarm_email_at_deploy:
            alarm_email = CfnParameter(
                self,
                ALARM_EMAIL_PARAMETER,
                type="String",
                description="E-mail address subscribed to the alarm topic (AWS mails a "
                "confirmation link first); kept on later deploys unless given again",
                allowed_pattern=r"[^@\s]+@[^@\s]+\.[^@\s]+",
                constraint_description="must be an e-mail address",
            ).value_as_string
        if alarm_email:
            self.realtime.alarm_topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        realtime = self.realtime
        outputs = {
            StackOutputs.WEBSOCKET_URL: (
                realtime.websocket_url,
                "wss:// URL clients connect to (token: Sec-WebSocket-Protocol or ?token=)",
            ),
            StackOutputs.CALLBACK_URL: (
                realtime.callback_url,
                "https:// endpoint of the API Gateway Management API for this stage",
            ),
            StackOutputs.TOPIC_ARN: (
                realtime.topic.topic_arn,
                "SNS topic backends publish invoice events to",
            ),
            StackOutputs.CONNECTIONS_TABLE: (
                realtime.connections_table.table_name,
                "DynamoDB table of open WebSocket connections",
            ),
            StackOutputs.REVOCATIONS_TABLE: (
                realtime.revocations_table.table_name,
                "Revocations table (the publisher SDK's AccessRevoker writes to it)",
            ),
            StackOutputs.SUBSCRIPTION_DLQ_URL: (
                realtime.subscription_dlq.queue_url,
                "Dead-letter queue of the fan-out's SNS subscription",
            ),
            StackOutputs.ON_FAILURE_DLQ_URL: (
                realtime.on_failure_dlq.queue_url,
                "On-failure queue of the fan-out's asynchronous invocations",
            ),
            StackOutputs.FUNCTION_NAMES: (
                Fn.join(",", [f.function_name for f in realtime.functions.values()]),
                "Names of the five Lambda functions",
            ),
            StackOutputs.SEND_INVOICE_UPDATE_FUNCTION: (
                realtime.send_invoice_update_function.function_name,
                "The fan-out function (SNS -> WebSocket connections)",
            ),
            StackOutputs.AUTH_MODE: (realtime.auth.mode, "How $connect verifies tokens"),
        }
        if realtime.secret is not None:
            outputs[StackOutputs.AUTH_SECRET_ARN] = (
                realtime.secret.secret_arn,
                "Secrets Manager secret holding the HS256 connect-token key (ARN only)",
            )
        # `alexho-realtime check --stack <name>` finds everything it checks by these keys.
        for key, (value, description) in outputs.items():
            CfnOutput(self, key, value=value, description=description)
