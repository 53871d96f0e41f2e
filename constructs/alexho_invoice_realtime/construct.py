"""``AlexHoInvoiceRealtime``: the whole real-time invoice system as one L3 construct."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from aws_cdk import CfnElement, Duration, RemovalPolicy, Stack
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
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk.aws_apigateway import CfnAccount
from constructs import Construct

from alexho_invoice_runtime import definitions
from alexho_invoice_runtime.definitions import Env

from . import functions as fn
from . import name_registry
from .alarms import AlarmSpec, allow_alarms_to_publish, create_alarm
from .auth import AuthSettings
from .bundling import lambda_code
from .dashboard import DashboardSources
from .dashboard import create_dashboard as create_dashboard_
from .encryption import add_service_statements, create_data_key, grant_decrypt_via
from .messaging import (
    QueueDestination,
    create_alarm_topic,
    create_dead_letter_queue,
    create_topic,
)
from .nag import acknowledge
from .naming import BaseNames, PhysicalNames
from .options import check_exclusive, merge_overrides
from .tables import CONNECTIONS, EVENT_LOG, REVOCATIONS, create_table
from .websocket import (
    InvoiceWebSocketApi,
    LoggedStage,
    RouteHandlers,
    access_log_group_name,
    api_gateway_cloudwatch_role,
)

DEFAULT_STAGE_NAME: Final = "live"
DEFAULT_THROTTLE_RATE_LIMIT: Final = 100.0
DEFAULT_THROTTLE_BURST_LIMIT: Final = 200
DEFAULT_FAN_OUT_RETRY_ATTEMPTS: Final = 2
DEFAULT_FAN_OUT_MAX_EVENT_AGE_SECONDS: Final = 60 * 60
DEFAULT_METRICS_NAMESPACE: Final = "AlexHoInvoiceRealtime"
#: The authorizer's EMF count of verification failures (``handlers/authorizer.py``).
AUTHORIZER_ERRORS_METRIC: Final = "AuthorizerErrors"
#: Base name of the data key's alias, the alarm topic and the dashboard.
SYSTEM_BASE_NAME: Final = "InvoiceRealtime"
ALARM_TOPIC_BASE_NAME: Final = "InvoiceRealtimeAlarms"
_STAGE_NAME_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{1,128}")
_LOG_LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR")


class AlexHoInvoiceRealtime(Construct):
    """Real-time invoice updates over an API Gateway WebSocket API.

    A backend publishes invoice events to :attr:`topic`; the fan-out function delivers each to
    the connections of its audiences (admins always, the customer once the invoice is no
    longer a draft). Every resource is a public attribute; every default is the secure one.

    Resource pairs follow the AWS Solutions Constructs convention: pass ``existing_<x>`` to use
    your resource, or ``<x>_props`` (keyword arguments of the CDK class) to override the
    defaults of the one created here — not both.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name_prefix: str = definitions.DEFAULT_NAME_PREFIX,
        environment_suffix: str | None = None,
        auth: AuthSettings | None = None,
        existing_auth_secret: secretsmanager.ISecret | None = None,
        auth_secret_props: Mapping[str, Any] | None = None,
        existing_topic: sns.ITopic | None = None,
        topic_props: Mapping[str, Any] | None = None,
        existing_connections_table: dynamodb.ITable | None = None,
        connections_table_props: Mapping[str, Any] | None = None,
        existing_event_log_table: dynamodb.ITable | None = None,
        event_log_table_props: Mapping[str, Any] | None = None,
        existing_revocations_table: dynamodb.ITable | None = None,
        revocations_table_props: Mapping[str, Any] | None = None,
        max_token_lifetime: Duration | None = None,
        stage_name: str = DEFAULT_STAGE_NAME,
        throttle_rate_limit: float = DEFAULT_THROTTLE_RATE_LIMIT,
        throttle_burst_limit: int = DEFAULT_THROTTLE_BURST_LIMIT,
        event_retention: Duration | None = None,
        point_in_time_recovery: bool = True,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        encryption_key: kms.IKey | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.THREE_MONTHS,
        log_level: str = "INFO",
        fan_out_retry_attempts: int = DEFAULT_FAN_OUT_RETRY_ATTEMPTS,
        fan_out_max_event_age: Duration | None = None,
        fan_out_reserved_concurrency: int | None = None,
        alarm_topic: sns.ITopic | None = None,
        create_dashboard: bool = True,
        create_api_gateway_cloudwatch_role: bool = True,
        service_name: str | None = None,
        metrics_namespace: str = DEFAULT_METRICS_NAMESPACE,
    ) -> None:
        """Create the system.

        :param name_prefix: starts every physical name (default ``alexHo``).
        :param environment_suffix: appended as ``-<suffix>`` to every physical name
            (``dev`` gives ``alexHoInvoiceWebSocket-dev``); keeps environments apart.
        :param auth: how tokens are verified (default: HS256 with a generated secret).
        :param existing_auth_secret: HS256 key to use (its SecretString is the raw key).
        :param auth_secret_props: overrides of ``secretsmanager.Secret`` for the created key.
        :param existing_topic: subscribe the fan-out to this topic instead of creating one.
        :param topic_props: overrides of ``sns.Topic`` (a ``master_key`` replaces the new key).
        :param existing_connections_table: use this table (it must match
            ``definitions.connections_table_definition``).
        :param connections_table_props: overrides of ``dynamodb.Table`` (keys are fixed).
        :param existing_event_log_table: use this event-log table.
        :param event_log_table_props: overrides of ``dynamodb.Table`` (keys are fixed).
        :param existing_revocations_table: use this revocations table (it must match
            ``definitions.revocations_table_definition``).
        :param revocations_table_props: overrides of ``dynamodb.Table`` (keys are fixed).
        :param max_token_lifetime: longest ``exp - iat`` the authorizer (and ``refresh``)
            accepts; 1 s - 24 h, default 1 h. Tokens must carry ``iat``.
        :param stage_name: the API stage (also the last segment of the URLs).
        :param throttle_rate_limit: stage-wide steady-state requests per second.
        :param throttle_burst_limit: stage-wide burst.
        :param event_retention: how long ``resume`` can replay events (default 24 h).
        :param point_in_time_recovery: PITR on the tables created here.
        :param removal_policy: tables, key, secret, queues and log groups on stack deletion
            (default ``RETAIN_ON_UPDATE_OR_DELETE``: kept, except when the stack's first create
            rolls back, so that a retry does not fail on named orphans).
        :param encryption_key: the KMS key of the data at rest (tables, both queues, log groups,
            signing secret, topics); default: a rotating key created here. An imported key's
            policy must already allow the services (see docs/infrastructure.md).
        :param log_retention: retention of the function and access log groups.
        :param log_level: ``LOG_LEVEL`` of the functions.
        :param fan_out_retry_attempts: Lambda's async retries of the fan-out (0-2).
        :param fan_out_max_event_age: age after which an undelivered event goes to the DLQ
            (60 s - 6 h, default 1 h).
        :param fan_out_reserved_concurrency: reserve (and cap) this many concurrent fan-out
            executions (default: none, the account's unreserved pool).
        :param alarm_topic: receives the alarms' ALARM and OK notifications (default: a new
            encrypted topic, :attr:`alarm_topic`, to subscribe to).
        :param create_dashboard: create the CloudWatch operations dashboard (default ``True``).
        :param create_api_gateway_cloudwatch_role: set the account-level role API Gateway
            needs for access logs (once per stack); pass ``False`` if your account has one.
        :param service_name: service name in structured logs (default ``<prefix>InvoiceRealtime``).
        :param metrics_namespace: CloudWatch namespace of the EMF metrics.
        """
        super().__init__(scope, construct_id)
        auth = auth or AuthSettings()
        event_retention = event_retention or Duration.seconds(
            definitions.DEFAULT_EVENT_RETENTION_SECONDS
        )
        fan_out_max_event_age = fan_out_max_event_age or Duration.seconds(
            DEFAULT_FAN_OUT_MAX_EVENT_AGE_SECONDS
        )
        max_token_lifetime = max_token_lifetime or Duration.seconds(
            definitions.DEFAULT_MAX_TOKEN_LIFETIME_SECONDS
        )
        _check_props(
            auth=auth,
            existing_auth_secret=existing_auth_secret,
            auth_secret_props=auth_secret_props,
            existing_topic=existing_topic,
            topic_props=topic_props,
            existing_connections_table=existing_connections_table,
            connections_table_props=connections_table_props,
            existing_event_log_table=existing_event_log_table,
            event_log_table_props=event_log_table_props,
            existing_revocations_table=existing_revocations_table,
            revocations_table_props=revocations_table_props,
            max_token_lifetime=max_token_lifetime,
            stage_name=stage_name,
            throttle_rate_limit=throttle_rate_limit,
            throttle_burst_limit=throttle_burst_limit,
            fan_out_retry_attempts=fan_out_retry_attempts,
            fan_out_reserved_concurrency=fan_out_reserved_concurrency,
            log_level=log_level,
        )
        self.names = PhysicalNames(name_prefix, environment_suffix)
        self.auth = auth
        self.stage_name = stage_name
        self.event_retention = event_retention
        #: The key of the data at rest (the one passed in, or the one created here).
        self.encryption_key: kms.IKey = encryption_key or create_data_key(
            self, self.names.name(SYSTEM_BASE_NAME), removal_policy
        )
        key = self.encryption_key
        self.max_token_lifetime = max_token_lifetime

        # --- Storage and messaging ------------------------------------------------------------
        table_options: dict[str, Any] = {
            "removal_policy": removal_policy,
            "point_in_time_recovery": point_in_time_recovery,
            "encryption_key": key,
        }
        self.connections_table: dynamodb.ITable = existing_connections_table or create_table(
            self, CONNECTIONS, self.names, props=connections_table_props, **table_options
        )
        self.event_log_table: dynamodb.ITable = existing_event_log_table or create_table(
            self, EVENT_LOG, self.names, props=event_log_table_props, **table_options
        )
        self.revocations_table: dynamodb.ITable = existing_revocations_table or create_table(
            self, REVOCATIONS, self.names, props=revocations_table_props, **table_options
        )
        self.topic_key: kms.IKey | None = None
        if existing_topic is not None:
            self.topic: sns.ITopic = existing_topic
        else:
            self.topic, self.topic_key = create_topic(
                self, self.names, props=topic_props, encryption_key=key
            )
        self.subscription_dlq: sqs.Queue = create_dead_letter_queue(
            self,
            "SubscriptionDeadLetterQueue",
            queue_name=self.names.name(BaseNames.SUBSCRIPTION_DLQ),
            removal_policy=removal_policy,
            encryption_key=key,
            dead_letters_of="the SNS subscription of the fan-out function",
        )
        self.on_failure_dlq: sqs.Queue = create_dead_letter_queue(
            self,
            "OnFailureDeadLetterQueue",
            queue_name=self.names.name(BaseNames.ON_FAILURE_DLQ),
            removal_policy=removal_policy,
            encryption_key=key,
            dead_letters_of="the fan-out function's asynchronous invocations",
        )
        self.dlqs: tuple[sqs.Queue, ...] = (self.subscription_dlq, self.on_failure_dlq)
        self.secret: secretsmanager.ISecret | None = None
        if auth.uses_secret:
            self.secret = existing_auth_secret or self._create_auth_secret(
                auth_secret_props, removal_policy
            )

        # --- API and stage (first: the functions need the callback URL) ----------------------
        api_name = self.names.name(BaseNames.API)
        self._websocket = InvoiceWebSocketApi(self, "WebSocket", api_name=api_name)
        self.api: apigwv2.WebSocketApi = self._websocket.api
        self.api_gateway_account: CfnAccount | None = (
            api_gateway_cloudwatch_role(self) if create_api_gateway_cloudwatch_role else None
        )
        logged_stage = LoggedStage(
            self,
            "Stage",
            api=self.api,
            api_name=api_name,
            stage_name=stage_name,
            throttle_rate_limit=throttle_rate_limit,
            throttle_burst_limit=throttle_burst_limit,
            log_retention=log_retention,
            removal_policy=removal_policy,
            log_encryption_key=key,
            account_logging=self.api_gateway_account,
        )
        self.stage: apigwv2.WebSocketStage = logged_stage.stage
        self.access_log_group: logs.LogGroup = logged_stage.access_log_group
        #: ``wss://{api}.execute-api.{region}.{urlSuffix}/{stage}`` — what clients connect to.
        self.websocket_url: str = self.stage.url
        #: ``https://{api}.execute-api.{region}.{urlSuffix}/{stage}`` — the Management API.
        self.callback_url: str = self.stage.callback_url

        # --- Functions ------------------------------------------------------------------------
        self.code: lambda_.Code = lambda_code(fn.RUNTIME, fn.ARCHITECTURE)
        #: The ``service`` dimension of the EMF metrics and the service of the log lines: one
        #: per instance (``<prefix>InvoiceRealtime-<suffix>``), so that two environments in
        #: one account never mix their metrics or alarms.
        self.service_name: str = service_name or self.names.name(SYSTEM_BASE_NAME)
        self._functions = self._create_functions(
            common_environment={
                Env.POWERTOOLS_SERVICE_NAME: self.service_name,
                Env.METRICS_NAMESPACE: metrics_namespace,
                Env.LOG_LEVEL: log_level,
            },
            log_retention=log_retention,
            removal_policy=removal_policy,
            fan_out_retry_attempts=fan_out_retry_attempts,
            fan_out_max_event_age=fan_out_max_event_age,
            fan_out_reserved_concurrency=fan_out_reserved_concurrency,
        )
        self.functions: Mapping[str, lambda_.Function] = {
            key: part.function for key, part in self._functions.items()
        }
        self.function_log_groups: Mapping[str, logs.LogGroup] = {
            key: part.log_group for key, part in self._functions.items()
        }
        self.authorizer_function = self.functions["authorizer"]
        self.connect_function = self.functions["connect"]
        self.disconnect_function = self.functions["disconnect"]
        self.default_function = self.functions["default"]
        self.send_invoice_update_function = self.functions["send_invoice_update"]

        # --- Routes, permissions and the subscription -----------------------------------------
        self._websocket.add_routes(
            RouteHandlers(
                authorizer=self.authorizer_function,
                connect=self.connect_function,
                disconnect=self.disconnect_function,
                default=self.default_function,
            ),
            authorizer_name=self.names.name(BaseNames.AUTHORIZER_FUNCTION),
        )
        self.authorizer: authorizers.WebSocketLambdaAuthorizer = self._websocket.authorizer
        self.connect_route: apigwv2.WebSocketRoute = self._websocket.connect_route
        self.disconnect_route: apigwv2.WebSocketRoute = self._websocket.disconnect_route
        self.default_route: apigwv2.WebSocketRoute = self._websocket.default_route
        self._grant_least_privilege()
        self.topic.add_subscription(
            subscriptions.LambdaSubscription(
                self.send_invoice_update_function, dead_letter_queue=self.subscription_dlq
            )
        )

        # --- Alarms and dashboard -------------------------------------------------------------
        name = self.names.name
        dashboard_sources = DashboardSources(
            metrics_namespace=metrics_namespace,
            service_name=self.service_name,
            api=self.api,
            stage_name=stage_name,
            functions=self.functions,
            dead_letter_queues=self.dlqs,
        )
        #: Where the alarms notify: the ``alarm_topic`` passed in, or one created here.
        self.alarm_topic: sns.ITopic = alarm_topic or create_alarm_topic(
            self, name(ALARM_TOPIC_BASE_NAME), key
        )
        by_id = {
            spec.construct_id: create_alarm(self, spec, self.alarm_topic)
            for spec in self._alarm_specs(dashboard_sources)
        }
        #: Every alarm (each notifies :attr:`alarm_topic` of ALARM and OK).
        self.alarms: tuple[cloudwatch.Alarm, ...] = tuple(by_id.values())
        allow_alarms_to_publish(self, self.alarm_topic, self.alarms)
        self.subscription_dlq_alarm = by_id["SubscriptionDeadLetterAlarm"]
        self.on_failure_dlq_alarm = by_id["OnFailureDeadLetterAlarm"]
        self.send_invoice_update_errors_alarm = by_id["SendInvoiceUpdateErrorsAlarm"]
        self.authorizer_errors_alarm = by_id["AuthorizerErrorsAlarm"]
        self.dashboard: cloudwatch.Dashboard | None = (
            create_dashboard_(self, name(SYSTEM_BASE_NAME), dashboard_sources, self.alarms)
            if create_dashboard
            else None
        )

        # --- Key policy and the app-wide check of physical names -------------------------------
        add_service_statements(
            self,
            key,
            [
                *(fn.log_group_name(self.names.name(spec.base_name)) for spec in fn.ALL),
                access_log_group_name(api_name, stage_name),
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

    def _alarm_specs(self, sources: DashboardSources) -> list[AlarmSpec]:
        """Every alarm: an event dropped or set aside, a route's function failing or
        throttled, the stage failing requests, the authorizer unable to verify tokens."""
        name = self.names.name
        fan_out = self.send_invoice_update_function
        specs = [
            AlarmSpec.arrivals(
                "SubscriptionDeadLetterAlarm",
                name("SendInvoiceUpdateSubscriptionDlqArrivals"),
                self.subscription_dlq,
            ),
            AlarmSpec.arrivals(
                "OnFailureDeadLetterAlarm",
                name("SendInvoiceUpdateOnFailureDlqArrivals"),
                self.on_failure_dlq,
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
                "SubscriptionRedriveFailuresAlarm",
                name("InvoiceEventsFailedToRedriveToDlq"),
                self.topic,
            ),
            AlarmSpec.authorizer_errors(
                "AuthorizerErrorsAlarm",
                name("WebSocketAuthorizerErrors"),
                sources.emf(AUTHORIZER_ERRORS_METRIC),
            ),
        ]
        for key, label in (
            ("connect", "Connect"),
            ("disconnect", "Disconnect"),
            ("default", "Default"),
        ):
            function = self.functions[key]
            specs.extend(
                AlarmSpec.function_metric(
                    f"{label}{metric}Alarm", name(f"WebSocket{label}{metric}"), function, metric
                )
                for metric in ("Errors", "Throttles")
            )
        specs.extend(
            AlarmSpec.function_metric(
                f"{label}ThrottlesAlarm", name(f"{base}Throttles"), self.functions[key], "Throttles"
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

    def _create_auth_secret(
        self, props: Mapping[str, Any] | None, removal_policy: RemovalPolicy
    ) -> secretsmanager.Secret:
        settings = merge_overrides(
            "auth_secret_props",
            {
                "secret_name": self.names.name(BaseNames.AUTH_SECRET),
                "description": "HS256 key that signs WebSocket connect tokens (raw SecretString)",
                "generate_secret_string": secretsmanager.SecretStringGenerator(
                    password_length=64, exclude_punctuation=True
                ),
                "removal_policy": removal_policy,
                "encryption_key": self.encryption_key,
            },
            props,
        )
        secret = secretsmanager.Secret(self, "AuthSecret", **settings)
        acknowledge(
            secret,
            "AwsSolutions-SMG4",
            "The HS256 signing key is shared with the backend that mints connect tokens; "
            "rotating it needs a coordinated rollout of both, so it is rotated by an "
            "operator rather than by a rotation Lambda.",
        )
        return secret

    def _create_functions(
        self,
        *,
        common_environment: Mapping[str, str],
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
        fan_out_retry_attempts: int,
        fan_out_max_event_age: Duration,
        fan_out_reserved_concurrency: int | None,
    ) -> dict[str, fn.RealtimeFunction]:
        def create(
            spec: fn.FunctionSpec, environment: Mapping[str, str], **kwargs: Any
        ) -> fn.RealtimeFunction:
            return fn.RealtimeFunction(
                self,
                spec,
                function_name=self.names.name(spec.base_name),
                code=self.code,
                environment={**common_environment, **environment},
                log_retention=log_retention,
                removal_policy=removal_policy,
                log_encryption_key=self.encryption_key,
                **kwargs,
            )

        revocations_environment = {Env.REVOCATIONS_TABLE: self.revocations_table.table_name}
        authorizer_environment = {
            **self.auth.environment(),
            **revocations_environment,
            Env.AUTH_MAX_TOKEN_LIFETIME: str(int(self.max_token_lifetime.to_seconds())),
        }
        if self.secret is not None:
            authorizer_environment[Env.AUTH_SECRET_ID] = self.secret.secret_arn
        table_environment = {Env.CONNECTIONS_TABLE: self.connections_table.table_name}
        delivery_environment = {
            **table_environment,
            **revocations_environment,
            Env.EVENT_LOG_TABLE: self.event_log_table.table_name,
            Env.CALLBACK_URL: self.callback_url,
            Env.EVENT_RETENTION_SECONDS: str(int(self.event_retention.to_seconds())),
        }
        return {
            "authorizer": create(fn.AUTHORIZER, authorizer_environment),
            "connect": create(fn.CONNECT, table_environment),
            "disconnect": create(fn.DISCONNECT, table_environment),
            # ``refresh`` verifies tokens exactly as the authorizer does.
            "default": create(fn.DEFAULT, {**delivery_environment, **authorizer_environment}),
            "send_invoice_update": create(
                fn.SEND_INVOICE_UPDATE,
                delivery_environment,
                reserved_concurrent_executions=fan_out_reserved_concurrency,
                retry_attempts=fan_out_retry_attempts,
                max_event_age=fan_out_max_event_age,
                on_failure=QueueDestination(self.on_failure_dlq),
            ),
        }

    def _grant_least_privilege(self) -> None:
        connections = self.connections_table
        event_log = self.event_log_table
        audience_index_arn = f"{connections.table_arn}/index/{definitions.AUDIENCE_INDEX}"

        def allow(function: lambda_.Function, actions: list[str], resources: list[str]) -> None:
            function.add_to_role_policy(iam.PolicyStatement(actions=actions, resources=resources))

        revocations = self.revocations_table
        fan_out = self.send_invoice_update_function
        # Token verifiers (the authorizer, and $default for ``refresh``): the signing key and
        # revocations read by key.
        for verifier in (self.authorizer_function, self.default_function):
            if self.secret is not None:
                allow(verifier, ["secretsmanager:GetSecretValue"], [self.secret.secret_arn])
                if self.secret.encryption_key is not None:
                    grant_decrypt_via(self.secret.encryption_key, verifier, "secretsmanager")
        for reader in (self.authorizer_function, self.default_function, fan_out):
            allow(reader, ["dynamodb:BatchGetItem"], [revocations.table_arn])
        allow(self.connect_function, ["dynamodb:PutItem"], [connections.table_arn])
        allow(self.disconnect_function, ["dynamodb:DeleteItem"], [connections.table_arn])
        # $default: read the row, record a refreshed token, delete the row of a closed one.
        allow(
            self.default_function,
            ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
            [connections.table_arn],
        )
        allow(self.default_function, ["dynamodb:Query"], [event_log.table_arn])
        allow(fan_out, ["dynamodb:Query"], [audience_index_arn])
        # DeleteItem: a gone connection's row; GetItem: the one target of a probe event.
        allow(fan_out, ["dynamodb:DeleteItem", "dynamodb:GetItem"], [connections.table_arn])
        # EventLog.record: the id marker's conditional put, the entries' batch write and, on a
        # redelivery, a consistent read of the cursor the first delivery assigned.
        allow(
            fan_out,
            ["dynamodb:PutItem", "dynamodb:BatchWriteItem", "dynamodb:GetItem"],
            [event_log.table_arn],
        )
        for table, users in (
            (
                connections,
                (self.connect_function, self.disconnect_function, self.default_function, fan_out),
            ),
            (event_log, (self.default_function, fan_out)),
            (revocations, (self.authorizer_function, self.default_function, fan_out)),
        ):
            if table.encryption_key is not None:
                for user in users:
                    grant_decrypt_via(table.encryption_key, user, "dynamodb")
        self._grant_manage_connections(self._functions["default"])
        self._grant_manage_connections(self._functions["send_invoice_update"])

    def connections_arn(self, method: str) -> str:
        """``<method> @connections/*`` on this API's stage only (not the whole API)."""
        return Stack.of(self).format_arn(
            service="execute-api",
            resource=self.api.api_id,
            resource_name=f"{self.stage_name}/{method}/@connections/*",
        )

    def _grant_manage_connections(self, part: fn.RealtimeFunction) -> None:
        """``POST`` (post a frame) and ``DELETE`` (close a connection whose token expired or
        was revoked) ``@connections/{id}`` on this API's stage only."""
        stack = Stack.of(self)
        api_resource = self.api.node.default_child
        if not isinstance(api_resource, CfnElement):
            raise TypeError(f"{self.api.node.path} has no CloudFormation resource")
        api_logical_id = stack.resolve(api_resource.logical_id)
        for method in ("POST", "DELETE"):
            part.function.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["execute-api:ManageConnections"],
                    resources=[self.connections_arn(method)],
                )
            )
            acknowledge(
                part.default_policy,
                "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:"
                f"<AWS::AccountId>:<{api_logical_id}>/{self.stage_name}/{method}/@connections/*]",
                "Posting to or closing a connection needs its id in the ARN and connections "
                f"are created at run time; the wildcard covers only {method} @connections on "
                "this API's stage.",
            )


def _check_props(
    *,
    auth: AuthSettings,
    existing_auth_secret: object,
    auth_secret_props: object,
    existing_topic: object,
    topic_props: object,
    existing_connections_table: object,
    connections_table_props: object,
    existing_event_log_table: object,
    event_log_table_props: object,
    existing_revocations_table: object,
    revocations_table_props: object,
    max_token_lifetime: Duration,
    stage_name: str,
    throttle_rate_limit: float,
    throttle_burst_limit: int,
    fan_out_retry_attempts: int,
    fan_out_reserved_concurrency: int | None,
    log_level: str,
) -> None:
    """Every conflict and bad value, raised before any resource exists."""
    check_exclusive("existing_topic", existing_topic, "topic_props", topic_props)
    check_exclusive(
        "existing_connections_table",
        existing_connections_table,
        "connections_table_props",
        connections_table_props,
    )
    check_exclusive(
        "existing_event_log_table",
        existing_event_log_table,
        "event_log_table_props",
        event_log_table_props,
    )
    check_exclusive(
        "existing_revocations_table",
        existing_revocations_table,
        "revocations_table_props",
        revocations_table_props,
    )
    check_exclusive(
        "existing_auth_secret", existing_auth_secret, "auth_secret_props", auth_secret_props
    )
    lifetime = max_token_lifetime.to_seconds()
    if not 1 <= lifetime <= definitions.MAX_TOKEN_LIFETIME_LIMIT_SECONDS or lifetime != int(
        lifetime
    ):
        raise ValueError(
            "max_token_lifetime must be whole seconds from 1 s to "
            f"{definitions.MAX_TOKEN_LIFETIME_LIMIT_SECONDS // 3600} h"
        )
    if not auth.uses_secret and (existing_auth_secret or auth_secret_props):
        raise ValueError(
            f"existing_auth_secret/auth_secret_props only apply to auth mode "
            f"{definitions.AUTH_MODE_HS256}; auth mode {auth.mode} verifies tokens with the "
            "issuer's JWKS"
        )
    if not _STAGE_NAME_PATTERN.fullmatch(stage_name):
        raise ValueError(f"stage_name {stage_name!r} must be 1-128 letters, digits, '-' or '_'")
    if throttle_rate_limit <= 0 or throttle_burst_limit <= 0:
        raise ValueError("throttle_rate_limit and throttle_burst_limit must be positive")
    if not 0 <= fan_out_retry_attempts <= 2:
        raise ValueError("fan_out_retry_attempts must be 0, 1 or 2 (Lambda's limit)")
    if fan_out_reserved_concurrency is not None and fan_out_reserved_concurrency < 1:
        raise ValueError(
            "fan_out_reserved_concurrency must be at least 1 (0 would stop every delivery); "
            "leave it unset to use the account's unreserved concurrency"
        )
    if log_level not in _LOG_LEVELS:
        raise ValueError(f"log_level {log_level!r} is not one of {', '.join(_LOG_LEVELS)}")
