"""The WebSocket API: routes, the ``$connect`` authorizer, and a logged, throttled stage."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final

import jsii
from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from .nag import acknowledge

ROUTE_SELECTION_EXPRESSION: Final = "$request.body.action"

#: JSON access-log line. Only request metadata and outcomes: no query string, no header (the
#: token travels in ``Sec-WebSocket-Protocol`` or ``?token=``), no message body, no claim.
ACCESS_LOG_FIELDS: Final = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "connectionId": "$context.connectionId",
    "eventType": "$context.eventType",
    "routeKey": "$context.routeKey",
    "messageId": "$context.messageId",
    "status": "$context.status",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "requestTimeEpoch": "$context.requestTimeEpoch",
    "connectedAt": "$context.connectedAt",
    "authorizeStatus": "$context.authorize.status",
    "authorizerError": "$context.authorizer.error",
    "integrationStatus": "$context.integration.status",
    "integrationLatency": "$context.integration.latency",
    "integrationError": "$context.integration.error",
    "errorMessage": "$context.error.message",
    "errorResponseType": "$context.error.responseType",
}

#: Account-wide singleton (one per stack) that lets API Gateway write logs to CloudWatch.
CLOUDWATCH_ROLE_ID: Final = "AlexHoApiGatewayCloudWatchRole"
CLOUDWATCH_ACCOUNT_ID: Final = "AlexHoApiGatewayAccount"
PUSH_TO_CLOUDWATCH_POLICY: Final = "service-role/AmazonAPIGatewayPushToCloudWatchLogs"


def access_log_group_name(api_name: str, stage_name: str) -> str:
    """The access log group of ``api_name``'s stage ``stage_name``."""
    return f"/aws/apigateway/{api_name}/{stage_name}/access"


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogSettings:
    def __init__(self, destination: apigwv2.IAccessLogDestination, format: str) -> None:
        self._destination = destination
        self._format = apigw.AccessLogFormat.custom(format)

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat:
        return self._format


@dataclass(frozen=True)
class RouteHandlers:
    """The functions behind the routes and the authorizer."""

    authorizer: lambda_.IFunction
    connect: lambda_.IFunction
    disconnect: lambda_.IFunction
    default: lambda_.IFunction


class InvoiceWebSocketApi(Construct):
    """The API; :meth:`add_routes` adds ``$connect`` (behind the REQUEST authorizer),
    ``$disconnect`` and ``$default`` once their functions exist (the functions need the API's
    callback URL first)."""

    def __init__(self, scope: Construct, construct_id: str, *, api_name: str) -> None:
        super().__init__(scope, construct_id)
        self.api = apigwv2.WebSocketApi(
            self,
            "Api",
            api_name=api_name,
            description="AlexHo real-time invoice updates",
            route_selection_expression=ROUTE_SELECTION_EXPRESSION,
        )

    def add_routes(self, handlers: RouteHandlers, *, authorizer_name: str) -> None:
        """Routes and the authorizer, with cdk-nag's APIG4 acknowledged where it cannot apply."""
        # No identity source: API Gateway answers 401 *without calling the authorizer* when
        # any listed identity source is missing, and every source listed must be present. The
        # token arrives in ONE of two places (Sec-WebSocket-Protocol for browsers, ?token= for
        # other clients), so listing either would lock the other transport out. With none, the
        # authorizer runs on every $connect and rejects a missing token itself (WebSocket
        # authorizers do not cache, so no cache key is needed either).
        self.authorizer = authorizers.WebSocketLambdaAuthorizer(
            "Authorizer",
            handlers.authorizer,
            authorizer_name=authorizer_name,
            identity_source=[],
        )
        self.connect_route = self.api.add_route(
            "$connect",
            integration=integrations.WebSocketLambdaIntegration(
                "ConnectIntegration", handlers.connect
            ),
            authorizer=self.authorizer,
        )
        self.disconnect_route = self.api.add_route(
            "$disconnect",
            integration=integrations.WebSocketLambdaIntegration(
                "DisconnectIntegration", handlers.disconnect
            ),
        )
        self.default_route = self.api.add_route(
            "$default",
            integration=integrations.WebSocketLambdaIntegration(
                "DefaultIntegration", handlers.default
            ),
        )
        for route, when in (
            (self.disconnect_route, "after the connection was authorized at $connect"),
            (self.default_route, "on a connection already authorized at $connect"),
        ):
            acknowledge(
                route,
                "AwsSolutions-APIG4",
                "WebSocket APIs accept an authorizer on $connect only; this route "
                f"runs {when}, and its handler reads the identity stored then.",
            )


class LoggedStage(Construct):
    """Auto-deployed stage with JSON access logs (encrypted with ``log_encryption_key``),
    detailed metrics and default throttling."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api: apigwv2.WebSocketApi,
        api_name: str,
        stage_name: str,
        throttle_rate_limit: float,
        throttle_burst_limit: int,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
        log_encryption_key: kms.IKey,
        account_logging: Construct | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.access_log_group = logs.LogGroup(
            self,
            "AccessLogs",
            log_group_name=access_log_group_name(api_name, stage_name),
            retention=log_retention,
            removal_policy=removal_policy,
            encryption_key=log_encryption_key,
        )
        self.stage = apigwv2.WebSocketStage(
            self,
            "Stage",
            web_socket_api=api,
            stage_name=stage_name,
            auto_deploy=True,
            detailed_metrics_enabled=True,
            throttle=apigwv2.ThrottleSettings(
                rate_limit=throttle_rate_limit, burst_limit=throttle_burst_limit
            ),
            access_log_settings=_AccessLogSettings(
                apigwv2.LogGroupLogDestination(self.access_log_group),
                json.dumps(ACCESS_LOG_FIELDS, separators=(",", ":")),
            ),
        )
        if account_logging is not None:
            # Logging fails to deploy until the account's CloudWatch role is in place.
            self.stage.node.add_dependency(account_logging)


def api_gateway_cloudwatch_role(scope: Construct) -> apigw.CfnAccount:
    """The account-level role API Gateway writes logs with, created once per stack.

    Like ``RestApi(cloudWatchRole=True)`` in CDK: the AWS managed policy API Gateway documents
    for this role, and both the role and the account setting are retained on stack deletion so
    that deleting one environment does not break logging of the others in the account.
    """
    stack = Stack.of(scope)
    existing = stack.node.try_find_child(CLOUDWATCH_ACCOUNT_ID)
    if isinstance(existing, apigw.CfnAccount):
        return existing
    role = iam.Role(
        stack,
        CLOUDWATCH_ROLE_ID,
        assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
        description="Lets API Gateway write access and execution logs to CloudWatch Logs",
        managed_policies=[
            iam.ManagedPolicy.from_aws_managed_policy_name(PUSH_TO_CLOUDWATCH_POLICY)
        ],
    )
    role.apply_removal_policy(RemovalPolicy.RETAIN)
    acknowledge(
        role,
        f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{PUSH_TO_CLOUDWATCH_POLICY}]",
        "The API Gateway account-level CloudWatch role uses the AWS managed policy that "
        "API Gateway documents for it; API Gateway creates log groups with names it "
        "chooses (execution logs), so no narrower resource scope exists.",
    )
    account = apigw.CfnAccount(stack, CLOUDWATCH_ACCOUNT_ID, cloud_watch_role_arn=role.role_arn)
    account.apply_removal_policy(RemovalPolicy.RETAIN)
    return account
