"""``AlexHoInvoiceRealtime``: the whole real-time invoice system as one L3 construct."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk.aws_apigateway import CfnAccount
from constructs import Construct

from alexho_invoice_runtime import definitions

from . import functions as fn
from . import name_registry
from .auth import AuthSettings
from .dashboard import DashboardSources
from .encryption import add_service_statements, grant_decrypt_via
from .function_set import FunctionContext, FunctionSet, connections_arn
from .monitoring import Monitoring
from .naming import BaseNames, PhysicalNames
from .props import ApiOptions, FanOutOptions, ObservabilityOptions, StorageOptions
from .storage import SYSTEM_BASE_NAME, Storage
from .websocket import (
    InvoiceWebSocketApi,
    LoggedStage,
    access_log_group_name,
    api_gateway_cloudwatch_role,
)


class AlexHoInvoiceRealtime(Construct):
    """Real-time invoice updates over an API Gateway WebSocket API.

    A backend publishes invoice events to :attr:`topic`; the fan-out function delivers each to
    the connections of its audiences (admins always, the customer once the invoice is no
    longer a draft). Every resource is a public attribute; every default is the secure one.

    Options come in four frozen groups, each checked when it is created: :class:`StorageOptions`,
    :class:`ApiOptions`, :class:`FanOutOptions` and :class:`ObservabilityOptions`. Resource
    pairs follow the AWS Solutions Constructs convention: ``existing_<x>`` uses your resource,
    ``<x>_props`` (keyword arguments of the CDK class) overrides the defaults of the one created
    here — not both.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str = definitions.DEFAULT_NAME_PREFIX,
        environment_suffix: str | None = None,
        auth: AuthSettings | None = None,
        storage: StorageOptions | None = None,
        api: ApiOptions | None = None,
        fan_out: FanOutOptions | None = None,
        observability: ObservabilityOptions | None = None,
    ) -> None:
        """Create the system.

        :param name_prefix: starts every physical name (default ``alexHo``).
        :param environment_suffix: appended as ``-<suffix>`` to every physical name
            (``dev`` gives ``alexHoInvoiceWebSocket-dev``); keeps environments apart.
        :param auth: how tokens are verified (default: HS256 with a generated secret).
        :param storage: tables, signing secret, their key, retention, removal policy.
        :param api: stage name and throttles, longest token lifetime, the account's API
            Gateway CloudWatch role.
        :param fan_out: the invoice topic and the fan-out's retries, event age and reserved
            concurrency.
        :param observability: log retention and level, alarm topic, dashboard, metric identity.
        """
        super().__init__(scope, construct_id)
        auth = auth or AuthSettings()
        storage = storage or StorageOptions()
        api = api or ApiOptions()
        fan_out = fan_out or FanOutOptions()
        observability = observability or ObservabilityOptions()
        if not auth.uses_secret and (storage.existing_auth_secret or storage.auth_secret_props):
            raise ValueError(
                f"existing_auth_secret/auth_secret_props only apply to auth mode "
                f"{definitions.AUTH_MODE_HS256}; auth mode {auth.mode} verifies tokens with the "
                "issuer's JWKS"
            )
        self.names = PhysicalNames(name_prefix, environment_suffix)
        self.auth = auth
        self.stage_name = api.stage_name
        self.event_retention = storage.event_retention
        self.max_token_lifetime = api.max_token_lifetime
        #: The ``service`` dimension of the EMF metrics and the service of the log lines: one
        #: per instance (``<prefix>InvoiceRealtime-<suffix>``), so that two environments in
        #: one account never mix their metrics or alarms.
        self.service_name: str = observability.service_name or self.names.name(SYSTEM_BASE_NAME)

        # --- Storage and messaging ------------------------------------------------------------
        stores = Storage(self, self.names, storage, fan_out, uses_secret=auth.uses_secret)
        #: The key of the data at rest (the one passed in, or the one created here).
        self.encryption_key: kms.IKey = stores.encryption_key
        self.connections_table: dynamodb.ITable = stores.connections_table
        self.event_log_table: dynamodb.ITable = stores.event_log_table
        self.revocations_table: dynamodb.ITable = stores.revocations_table
        self.topic: sns.ITopic = stores.topic
        self.topic_key: kms.IKey | None = stores.topic_key
        self.subscription_dlq: sqs.Queue = stores.subscription_dlq
        self.on_failure_dlq: sqs.Queue = stores.on_failure_dlq
        self.dlqs: tuple[sqs.Queue, ...] = (self.subscription_dlq, self.on_failure_dlq)
        self.secret: secretsmanager.ISecret | None = stores.secret

        # --- API and stage (first: the functions need the callback URL) ----------------------
        api_name = self.names.name(BaseNames.API)
        websocket = InvoiceWebSocketApi(self, "WebSocket", api_name=api_name)
        self.api: apigwv2.WebSocketApi = websocket.api
        self.api_gateway_account: CfnAccount | None = (
            api_gateway_cloudwatch_role(self) if api.create_api_gateway_cloudwatch_role else None
        )
        logged_stage = LoggedStage(
            self,
            "Stage",
            api=self.api,
            api_name=api_name,
            stage_name=api.stage_name,
            throttle_rate_limit=api.throttle_rate_limit,
            throttle_burst_limit=api.throttle_burst_limit,
            log_retention=observability.log_retention,
            removal_policy=storage.removal_policy,
            log_encryption_key=self.encryption_key,
            account_logging=self.api_gateway_account,
        )
        self.stage: apigwv2.WebSocketStage = logged_stage.stage
        self.access_log_group: logs.LogGroup = logged_stage.access_log_group
        #: ``wss://{api}.execute-api.{region}.{urlSuffix}/{stage}`` — what clients connect to.
        self.websocket_url: str = self.stage.url
        #: ``https://{api}.execute-api.{region}.{urlSuffix}/{stage}`` — the Management API.
        self.callback_url: str = self.stage.callback_url

        # --- Functions, their grants, the routes and the subscription --------------------------
        function_set = FunctionSet(
            self,
            self.names,
            stores,
            websocket,
            FunctionContext(
                auth=auth,
                max_token_lifetime=api.max_token_lifetime,
                service_name=self.service_name,
                callback_url=self.callback_url,
                stage_name=api.stage_name,
            ),
            storage=storage,
            fan_out=fan_out,
            observability=observability,
        )
        self.code: lambda_.Code = function_set.code
        self.functions: Mapping[str, lambda_.Function] = function_set.functions
        self.function_log_groups: Mapping[str, logs.LogGroup] = {
            key: part.log_group for key, part in function_set.parts.items()
        }
        self.authorizer_function = self.functions["authorizer"]
        self.connect_function = self.functions["connect"]
        self.disconnect_function = self.functions["disconnect"]
        self.default_function = self.functions["default"]
        self.send_invoice_update_function = self.functions["send_invoice_update"]
        self.authorizer: authorizers.WebSocketLambdaAuthorizer = websocket.authorizer
        self.connect_route: apigwv2.WebSocketRoute = websocket.connect_route
        self.disconnect_route: apigwv2.WebSocketRoute = websocket.disconnect_route
        self.default_route: apigwv2.WebSocketRoute = websocket.default_route

        # --- Alarms and dashboard -------------------------------------------------------------
        monitoring = Monitoring(
            self,
            self.names,
            DashboardSources(
                metrics_namespace=observability.metrics_namespace,
                service_name=self.service_name,
                api=self.api,
                stage_name=api.stage_name,
                functions=self.functions,
                dead_letter_queues=self.dlqs,
            ),
            topic=self.topic,
            encryption_key=self.encryption_key,
            options=observability,
        )
        #: Where the alarms notify: the ``alarm_topic`` passed in, or one created here.
        self.alarm_topic: sns.ITopic = monitoring.alarm_topic
        #: Every alarm (each notifies :attr:`alarm_topic` of ALARM and OK).
        self.alarms: tuple[cloudwatch.Alarm, ...] = monitoring.alarms
        self.subscription_dlq_alarm = monitoring.by_id["SubscriptionDeadLetterAlarm"]
        self.on_failure_dlq_alarm = monitoring.by_id["OnFailureDeadLetterAlarm"]
        self.send_invoice_update_errors_alarm = monitoring.by_id["SendInvoiceUpdateErrorsAlarm"]
        self.authorizer_errors_alarm = monitoring.by_id["AuthorizerErrorsAlarm"]
        self.authorizer_near_timeout_alarm = monitoring.by_id["AuthorizerNearTimeoutAlarm"]
        self.dashboard: cloudwatch.Dashboard | None = monitoring.dashboard

        # --- Key policy and the app-wide check of physical names -------------------------------
        add_service_statements(
            self,
            self.encryption_key,
            [
                *(fn.log_group_name(self.names.name(spec.base_name)) for spec in fn.ALL),
                access_log_group_name(api_name, api.stage_name),
            ],
        )
        name_registry.register(self)

    def grant_publish(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` (a backend's role) publish events: ``sns:Publish`` on the topic and,
        for a KMS-encrypted topic, ``kms:GenerateDataKey*``/``kms:Decrypt`` on its key."""
        return self.topic.grant_publish(grantee)

    def grant_revoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` (a backend's role) revoke a customer's or a subject's access with the
        publisher SDK's ``AccessRevoker``: ``PutItem`` on the revocations table, ``Query`` on
        the connections table's ``byAudience`` and ``bySubject`` indexes, ``DeleteItem`` on
        the connections table, and ``DELETE @connections/*`` on this API's stage."""
        connections = self.connections_table
        grant = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["dynamodb:PutItem"],
            resource_arns=[self.revocations_table.table_arn],
        )
        grant = grant.combine(
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=["dynamodb:Query"],
                resource_arns=[
                    f"{connections.table_arn}/index/{definitions.AUDIENCE_INDEX}",
                    f"{connections.table_arn}/index/{definitions.SUBJECT_INDEX}",
                ],
            )
        )
        grant = grant.combine(
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=["dynamodb:DeleteItem"],
                resource_arns=[connections.table_arn],
            )
        )
        grant = grant.combine(
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=["execute-api:ManageConnections"],
                resource_arns=[self.connections_arn("DELETE")],
            )
        )
        for table in (self.revocations_table, connections):
            if table.encryption_key is not None:
                grant_decrypt_via(table.encryption_key, grantee, "dynamodb")
        return grant

    # --- internals ----------------------------------------------------------------------------

    def connections_arn(self, method: str) -> str:
        """``<method> @connections/*`` on this API's stage only (not the whole API)."""
        return connections_arn(self, self.api, self.stage_name, method)
