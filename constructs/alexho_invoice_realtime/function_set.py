"""The five functions, their least-privilege grants, the routes and the fan-out's subscription.

A component, not a construct: it creates its resources in the ``AlexHoInvoiceRealtime`` scope
it is given, so that their logical ids stay those of deployed stacks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import CfnElement, Duration, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from alexho_invoice_runtime import definitions
from alexho_invoice_runtime.definitions import Env

from . import functions as fn
from .auth import AuthSettings
from .bundling import lambda_code
from .encryption import grant_decrypt_via
from .messaging import QueueDestination
from .nag import acknowledge
from .naming import BaseNames, PhysicalNames
from .props import FanOutOptions, ObservabilityOptions, StorageOptions
from .storage import Storage
from .websocket import InvoiceWebSocketApi, RouteHandlers


def connections_arn(
    scope: Construct, api: apigwv2.IWebSocketApi, stage_name: str, method: str
) -> str:
    """``<method> @connections/*`` on this API's stage only (not the whole API)."""
    return Stack.of(scope).format_arn(
        service="execute-api",
        resource=api.api_id,
        resource_name=f"{stage_name}/{method}/@connections/*",
    )


@dataclass(frozen=True)
class FunctionContext:
    """What the functions are configured with."""

    auth: AuthSettings
    max_token_lifetime: Duration
    service_name: str
    callback_url: str
    stage_name: str


class FunctionSet:
    """The functions (``functions``, keyed ``authorizer``, ``connect``, ``disconnect``,
    ``default``, ``send_invoice_update``), each granted only what it uses."""

    def __init__(
        self,
        scope: Construct,
        names: PhysicalNames,
        stores: Storage,
        websocket: InvoiceWebSocketApi,
        context: FunctionContext,
        *,
        storage: StorageOptions,
        fan_out: FanOutOptions,
        observability: ObservabilityOptions,
    ) -> None:
        self._scope = scope
        self._stores = stores
        self._api = websocket.api
        self._stage_name = context.stage_name
        self.code: lambda_.Code = lambda_code(fn.RUNTIME, fn.ARCHITECTURE)
        self.parts = self._create(scope, names, context, storage, fan_out, observability)
        self.functions: Mapping[str, lambda_.Function] = {
            key: part.function for key, part in self.parts.items()
        }
        websocket.add_routes(
            RouteHandlers(
                authorizer=self.functions["authorizer"],
                connect=self.functions["connect"],
                disconnect=self.functions["disconnect"],
                default=self.functions["default"],
            ),
            authorizer_name=names.name(BaseNames.AUTHORIZER_FUNCTION),
        )
        self._grant_least_privilege()
        stores.topic.add_subscription(
            subscriptions.LambdaSubscription(
                self.functions["send_invoice_update"], dead_letter_queue=stores.subscription_dlq
            )
        )

    def _create(
        self,
        scope: Construct,
        names: PhysicalNames,
        context: FunctionContext,
        storage: StorageOptions,
        fan_out: FanOutOptions,
        observability: ObservabilityOptions,
    ) -> dict[str, fn.RealtimeFunction]:
        stores = self._stores
        common_environment = {
            Env.POWERTOOLS_SERVICE_NAME: context.service_name,
            Env.METRICS_NAMESPACE: observability.metrics_namespace,
            Env.LOG_LEVEL: observability.log_level,
        }

        def create(
            spec: fn.FunctionSpec, environment: Mapping[str, str], **kwargs: Any
        ) -> fn.RealtimeFunction:
            return fn.RealtimeFunction(
                scope,
                spec,
                function_name=names.name(spec.base_name),
                code=self.code,
                environment={**common_environment, **environment},
                log_retention=observability.log_retention,
                removal_policy=storage.removal_policy,
                log_encryption_key=stores.encryption_key,
                **kwargs,
            )

        revocations_environment = {Env.REVOCATIONS_TABLE: stores.revocations_table.table_name}
        authorizer_environment = {
            **context.auth.environment(),
            **revocations_environment,
            Env.AUTH_MAX_TOKEN_LIFETIME: str(int(context.max_token_lifetime.to_seconds())),
        }
        if stores.secret is not None:
            authorizer_environment[Env.AUTH_SECRET_ID] = stores.secret.secret_arn
        table_environment = {Env.CONNECTIONS_TABLE: stores.connections_table.table_name}
        delivery_environment = {
            **table_environment,
            **revocations_environment,
            Env.EVENT_LOG_TABLE: stores.event_log_table.table_name,
            Env.CALLBACK_URL: context.callback_url,
            Env.EVENT_RETENTION_SECONDS: str(int(storage.event_retention.to_seconds())),
        }
        return {
            "authorizer": create(fn.AUTHORIZER, authorizer_environment),
            # $connect re-reads the identity's revocations after writing its row.
            "connect": create(fn.CONNECT, {**table_environment, **revocations_environment}),
            "disconnect": create(fn.DISCONNECT, table_environment),
            # ``refresh`` verifies tokens exactly as the authorizer does.
            "default": create(fn.DEFAULT, {**delivery_environment, **authorizer_environment}),
            "send_invoice_update": create(
                fn.SEND_INVOICE_UPDATE,
                delivery_environment,
                reserved_concurrent_executions=fan_out.reserved_concurrency,
                retry_attempts=fan_out.retry_attempts,
                max_event_age=fan_out.max_event_age,
                on_failure=QueueDestination(stores.on_failure_dlq),
            ),
        }

    def _grant_least_privilege(self) -> None:
        stores = self._stores
        connections = stores.connections_table
        event_log = stores.event_log_table
        revocations = stores.revocations_table
        secret = stores.secret
        audience_index_arn = f"{connections.table_arn}/index/{definitions.AUDIENCE_INDEX}"
        authorizer, connect, disconnect, default, fan_out = (
            self.functions[key]
            for key in ("authorizer", "connect", "disconnect", "default", "send_invoice_update")
        )

        def allow(function: lambda_.Function, actions: list[str], resources: list[str]) -> None:
            function.add_to_role_policy(iam.PolicyStatement(actions=actions, resources=resources))

        # Token verifiers (the authorizer, and $default for ``refresh``): the signing key and
        # revocations read by key.
        for verifier in (authorizer, default):
            if secret is not None:
                allow(verifier, ["secretsmanager:GetSecretValue"], [secret.secret_arn])
                if secret.encryption_key is not None:
                    grant_decrypt_via(secret.encryption_key, verifier, "secretsmanager")
        for reader in (authorizer, connect, default, fan_out):
            allow(reader, ["dynamodb:BatchGetItem"], [revocations.table_arn])
        # $connect: write its row, and delete it again when the identity was revoked meanwhile.
        allow(connect, ["dynamodb:PutItem", "dynamodb:DeleteItem"], [connections.table_arn])
        allow(disconnect, ["dynamodb:DeleteItem"], [connections.table_arn])
        # $default: read the row, record a refreshed token, delete the row of a closed one.
        allow(
            default,
            ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
            [connections.table_arn],
        )
        allow(default, ["dynamodb:Query"], [event_log.table_arn])
        allow(fan_out, ["dynamodb:Query"], [audience_index_arn])
        # DeleteItem: a gone connection's row; GetItem: the one target of a probe event.
        allow(fan_out, ["dynamodb:DeleteItem", "dynamodb:GetItem"], [connections.table_arn])
        # EventLog.record: the id marker's conditional put, the entries' batch write (late ones
        # deleted in it), the marker's conditional updates (moved to a fresh cursor, committed)
        # and, on a redelivery, a consistent read of the marker.
        allow(
            fan_out,
            [
                "dynamodb:PutItem",
                "dynamodb:BatchWriteItem",
                "dynamodb:GetItem",
                "dynamodb:UpdateItem",
            ],
            [event_log.table_arn],
        )
        for table, users in (
            (connections, (connect, disconnect, default, fan_out)),
            (event_log, (default, fan_out)),
            (revocations, (authorizer, connect, default, fan_out)),
        ):
            if table.encryption_key is not None:
                for user in users:
                    grant_decrypt_via(table.encryption_key, user, "dynamodb")
        self._grant_manage_connections(self.parts["default"])
        self._grant_manage_connections(self.parts["send_invoice_update"])

    def _grant_manage_connections(self, part: fn.RealtimeFunction) -> None:
        """``POST`` (post a frame) and ``DELETE`` (close a connection whose token expired or
        was revoked) ``@connections/{id}`` on this API's stage only."""
        stack = Stack.of(self._scope)
        api_resource = self._api.node.default_child
        if not isinstance(api_resource, CfnElement):
            raise TypeError(f"{self._api.node.path} has no CloudFormation resource")
        api_logical_id = stack.resolve(api_resource.logical_id)
        for method in ("POST", "DELETE"):
            part.function.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["execute-api:ManageConnections"],
                    resources=[connections_arn(self._scope, self._api, self._stage_name, method)],
                )
            )
            acknowledge(
                part.default_policy,
                "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:"
                f"<AWS::AccountId>:<{api_logical_id}>/{self._stage_name}/{method}/@connections/*]",
                "Posting to or closing a connection needs its id in the ARN and connections "
                f"are created at run time; the wildcard covers only {method} @connections on "
                "this API's stage.",
            )
