"""The construct's options, in four frozen groups; each checks its own values when created.

``AlexHoInvoiceRealtime(scope, id, storage=StorageOptions(...), api=ApiOptions(...),
fan_out=FanOutOptions(...), observability=ObservabilityOptions(...))``; every group and every
field has the secure default. docs/infrastructure.md maps the former keyword arguments here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns

from alexho_invoice_runtime import definitions

from .options import check_exclusive

DEFAULT_STAGE_NAME: Final = "live"
DEFAULT_THROTTLE_RATE_LIMIT: Final = 100.0
DEFAULT_THROTTLE_BURST_LIMIT: Final = 200
DEFAULT_FAN_OUT_RETRY_ATTEMPTS: Final = 2
DEFAULT_FAN_OUT_MAX_EVENT_AGE_SECONDS: Final = 60 * 60
DEFAULT_METRICS_NAMESPACE: Final = "AlexHoInvoiceRealtime"
_STAGE_NAME_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{1,128}")
_LOG_LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR")
_MAX_EVENT_AGE_SECONDS: Final = (60, 6 * 60 * 60)


@dataclass(frozen=True, kw_only=True)
class StorageOptions:
    """The stores: tables, signing secret, their key, retention and removal.

    Each ``existing_<x>`` uses your resource, each ``<x>_props`` (keyword arguments of the CDK
    class) overrides the defaults of the one created — one or the other.
    """

    existing_connections_table: dynamodb.ITable | None = None
    connections_table_props: Mapping[str, Any] | None = None
    existing_event_log_table: dynamodb.ITable | None = None
    event_log_table_props: Mapping[str, Any] | None = None
    existing_revocations_table: dynamodb.ITable | None = None
    revocations_table_props: Mapping[str, Any] | None = None
    #: HS256 key to use (its SecretString is the raw key), or overrides of the created secret.
    existing_auth_secret: secretsmanager.ISecret | None = None
    auth_secret_props: Mapping[str, Any] | None = None
    #: How long ``resume`` can replay events (default 24 h).
    event_retention: Duration = field(
        default_factory=lambda: Duration.seconds(definitions.DEFAULT_EVENT_RETENTION_SECONDS)
    )
    point_in_time_recovery: bool = True
    #: Tables, key, secret, queues and log groups on stack deletion.
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
    #: The key of the data at rest; default: a rotating key created by the construct.
    encryption_key: kms.IKey | None = None

    def __post_init__(self) -> None:
        for name in ("connections_table", "event_log_table", "revocations_table"):
            check_exclusive(
                f"existing_{name}",
                getattr(self, f"existing_{name}"),
                f"{name}_props",
                getattr(self, f"{name}_props"),
            )
        check_exclusive(
            "existing_auth_secret",
            self.existing_auth_secret,
            "auth_secret_props",
            self.auth_secret_props,
        )


@dataclass(frozen=True, kw_only=True)
class ApiOptions:
    """The WebSocket API's stage and what ``$connect`` accepts."""

    stage_name: str = DEFAULT_STAGE_NAME
    throttle_rate_limit: float = DEFAULT_THROTTLE_RATE_LIMIT
    throttle_burst_limit: int = DEFAULT_THROTTLE_BURST_LIMIT
    #: Longest ``exp - iat`` the authorizer (and ``refresh``) accepts, 1 s - 24 h.
    max_token_lifetime: Duration = field(
        default_factory=lambda: Duration.seconds(definitions.DEFAULT_MAX_TOKEN_LIFETIME_SECONDS)
    )
    #: Set the account's API Gateway CloudWatch role (``False`` if it is managed elsewhere).
    create_api_gateway_cloudwatch_role: bool = True

    def __post_init__(self) -> None:
        if not _STAGE_NAME_PATTERN.fullmatch(self.stage_name):
            raise ValueError(
                f"stage_name {self.stage_name!r} must be 1-128 letters, digits, '-' or '_'"
            )
        if self.throttle_rate_limit <= 0 or self.throttle_burst_limit <= 0:
            raise ValueError("throttle_rate_limit and throttle_burst_limit must be positive")
        lifetime = self.max_token_lifetime.to_milliseconds() / 1000
        limit = definitions.MAX_TOKEN_LIFETIME_LIMIT_SECONDS
        if not 1 <= lifetime <= limit or lifetime != int(lifetime):
            raise ValueError(
                f"max_token_lifetime must be whole seconds from 1 s to {limit // 3600} h"
            )


@dataclass(frozen=True, kw_only=True)
class FanOutOptions:
    """The invoice topic and the fan-out function's asynchronous invocations."""

    #: Subscribe the fan-out to this topic, or override the created one (``master_key``…).
    existing_topic: sns.ITopic | None = None
    topic_props: Mapping[str, Any] | None = None
    #: Lambda's asynchronous retries (0-2).
    retry_attempts: int = DEFAULT_FAN_OUT_RETRY_ATTEMPTS
    #: Age after which an undelivered event goes to the on-failure queue (60 s - 6 h).
    max_event_age: Duration = field(
        default_factory=lambda: Duration.seconds(DEFAULT_FAN_OUT_MAX_EVENT_AGE_SECONDS)
    )
    #: Reserve and cap this many concurrent executions (default: none; see the budget in
    #: docs/infrastructure.md).
    reserved_concurrency: int | None = None

    def __post_init__(self) -> None:
        check_exclusive("existing_topic", self.existing_topic, "topic_props", self.topic_props)
        if not 0 <= self.retry_attempts <= 2:
            raise ValueError("fan_out retry_attempts must be 0, 1 or 2 (Lambda's limit)")
        low, high = _MAX_EVENT_AGE_SECONDS
        if not low <= self.max_event_age.to_milliseconds() / 1000 <= high:
            raise ValueError("fan_out max_event_age must be from 60 s to 6 h (Lambda's limits)")
        if self.reserved_concurrency is not None and self.reserved_concurrency < 1:
            raise ValueError(
                "fan_out reserved_concurrency must be at least 1 (0 would stop every delivery); "
                "leave it unset to use the account's unreserved concurrency"
            )


@dataclass(frozen=True, kw_only=True)
class ObservabilityOptions:
    """Logs, metrics, alarms and the dashboard."""

    log_retention: logs.RetentionDays = logs.RetentionDays.THREE_MONTHS
    #: ``LOG_LEVEL`` of the functions.
    log_level: str = "INFO"
    #: Receives every alarm's ALARM and OK (default: an encrypted topic created here).
    alarm_topic: sns.ITopic | None = None
    create_dashboard: bool = True
    #: ``service`` of the EMF metrics and log lines (default ``<prefix>InvoiceRealtime-<suffix>``).
    service_name: str | None = None
    metrics_namespace: str = DEFAULT_METRICS_NAMESPACE

    def __post_init__(self) -> None:
        if self.log_level not in _LOG_LEVELS:
            raise ValueError(f"log_level {self.log_level!r} is not one of {', '.join(_LOG_LEVELS)}")
