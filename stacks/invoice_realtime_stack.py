"""One environment: its settings in, an ``AlexHoInvoiceRealtime`` and its outputs out."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from constructs import Construct

from alexho_invoice_realtime import AlexHoInvoiceRealtime

from .settings import EnvironmentSettings


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
            existing_auth_secret=existing_secret,
            stage_name=settings.stage_name,
            throttle_rate_limit=settings.throttle_rate_limit,
            throttle_burst_limit=settings.throttle_burst_limit,
            event_retention=settings.event_retention,
            max_token_lifetime=settings.max_token_lifetime,
            point_in_time_recovery=settings.point_in_time_recovery,
            removal_policy=settings.removal_policy,
            log_retention=settings.log_retention,
            log_level=settings.log_level,
            alarm_topic=alarm_topic,
        )
        CfnOutput(
            self,
            "WebSocketUrl",
            value=self.realtime.websocket_url,
            description="wss:// URL clients connect to (token: Sec-WebSocket-Protocol or ?token=)",
        )
        CfnOutput(
            self,
            "CallbackUrl",
            value=self.realtime.callback_url,
            description="https:// endpoint of the API Gateway Management API for this stage",
        )
        CfnOutput(
            self,
            "ConnectionsTableName",
            value=self.realtime.connections_table.table_name,
            description="Connections table (the publisher SDK's AccessRevoker closes them)",
        )
        CfnOutput(
            self,
            "RevocationsTableName",
            value=self.realtime.revocations_table.table_name,
            description="Revocations table (the publisher SDK's AccessRevoker writes to it)",
        )
        CfnOutput(
            self,
            "TopicArn",
            value=self.realtime.topic.topic_arn,
            description="SNS topic backends publish invoice events to",
        )
