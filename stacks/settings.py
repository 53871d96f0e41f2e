"""Per-environment settings read from the ``cdk.json`` context, checked with clear errors."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Final

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_logs as logs

from alexho_invoice_realtime import AuthSettings, ClaimNames
from alexho_invoice_runtime import definitions

_ENVIRONMENT_KEYS: Final = frozenset(
    {
        "account",
        "region",
        "removalPolicy",
        "logRetention",
        "pointInTimeRecovery",
        "throttleRateLimit",
        "throttleBurstLimit",
        "eventRetentionHours",
        "maxTokenLifetimeMinutes",
        "stageName",
        "logLevel",
        "alarmTopicArn",
        "alarmEmail",
        "alarmEmailAtDeploy",
        "noAlarmSubscriber",
        "apiGatewayCloudWatchRole",
        "fanOutReservedConcurrency",
        "auth",
    }
)
_EMAIL_PATTERN: Final = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_AUTH_KEYS: Final = frozenset({"mode", "secretArn", "jwksUrl", "issuer", "audience", "claims"})
_CLAIM_KEYS: Final = {"sub": "sub", "userType": "user_type", "customerId": "customer_id"}


def _check_keys(where: str, raw: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ValueError(
            f"{where}: unknown setting(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )


def _typed(
    where: str, raw: Mapping[str, Any], key: str, kind: type | tuple[type, ...], default: Any
) -> Any:
    value = raw.get(key, default)
    kinds = kind if isinstance(kind, tuple) else (kind,)
    wrong_bool = isinstance(value, bool) and bool not in kinds  # bool is an int in Python
    if value is not None and (wrong_bool or not isinstance(value, kinds)):
        expected = " or ".join(k.__name__ for k in kinds)
        raise ValueError(f"{where}.{key} must be a {expected}, got {value!r}")
    return value


def _enum_member(
    where: str, enum_type: Any, name: str, allowed: Collection[str] | None = None
) -> Any:
    choices = [member.name for member in enum_type if allowed is None or member.name in allowed]
    if name not in choices:
        raise ValueError(f"{where} {name!r} is not one of {', '.join(choices)}")
    return enum_type[name]


def _email(where: str, value: str | None) -> str | None:
    if value is not None and not _EMAIL_PATTERN.fullmatch(value):
        raise ValueError(f"{where}.alarmEmail {value!r} is not an e-mail address")
    return value


def _positive(where: str, key: str, value: int | None) -> int | None:
    if value is not None and value < 1:
        raise ValueError(f"{where}.{key} must be at least 1 (leave it out for no reservation)")
    return value


#: The settings that say who hears the alarms; an environment sets exactly one.
ALARM_SUBSCRIBER_KEYS: Final = (
    "alarmEmail",
    "alarmTopicArn",
    "alarmEmailAtDeploy",
    "noAlarmSubscriber",
)


def _check_alarm_subscriber(where: str, raw: Mapping[str, Any]) -> None:
    """Alarms nobody hears are no alarms: one subscriber, or an explicit opt-out with a reason."""
    given = [key for key in ALARM_SUBSCRIBER_KEYS if raw.get(key) not in (None, False, "")]
    if len(given) == 1:
        return
    if not given:
        raise ValueError(
            f"{where} has no alarm subscriber: set alarmEmail (an address), alarmTopicArn (a "
            "topic of yours), alarmEmailAtDeploy: true (the deployer passes "
            "`--parameters AlarmEmail=<address>` to cdk deploy) or noAlarmSubscriber "
            "(the reason nobody is notified) in cdk.json"
        )
    raise ValueError(f"{where}: set only one of {', '.join(given)} (who hears the alarms)")


@dataclass(frozen=True, kw_only=True)
class EnvironmentSettings:
    """Everything that differs between environments; defaults suit a production stack."""

    name: str
    account: str | None = None
    region: str | None = None
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
    log_retention: logs.RetentionDays = logs.RetentionDays.THREE_MONTHS
    point_in_time_recovery: bool = True
    throttle_rate_limit: float = 100.0
    throttle_burst_limit: int = 200
    event_retention_hours: int = definitions.DEFAULT_EVENT_RETENTION_SECONDS // 3600
    #: Longest ``exp - iat`` of a connect token (1 minute to 24 hours).
    max_token_lifetime_minutes: int = definitions.DEFAULT_MAX_TOKEN_LIFETIME_SECONDS // 60
    stage_name: str = "live"
    log_level: str = "INFO"
    alarm_topic_arn: str | None = None
    #: Subscribed (by e-mail) to the alarm topic; AWS mails a confirmation link first.
    alarm_email: str | None = None
    #: The stack takes the alarm e-mail as the CloudFormation parameter ``AlarmEmail``.
    alarm_email_at_deploy: bool = False
    #: Why this environment's alarms notify nobody (the explicit opt-out).
    no_alarm_subscriber: str | None = None
    #: Set the account-level CloudWatch role of API Gateway (one per account and region).
    api_gateway_cloudwatch_role: bool = True
    #: Reserve (and cap) this many concurrent fan-out executions; ``None``: unreserved.
    fan_out_reserved_concurrency: int | None = None
    auth: AuthSettings
    auth_secret_arn: str | None = None

    @property
    def event_retention(self) -> Duration:
        """How long ``resume`` can replay events."""
        return Duration.hours(self.event_retention_hours)

    @property
    def max_token_lifetime(self) -> Duration:
        """Longest lifetime (``exp - iat``) of a token the authorizer accepts."""
        return Duration.minutes(self.max_token_lifetime_minutes)

    @classmethod
    def from_context(cls, name: str, raw: Mapping[str, Any]) -> EnvironmentSettings:
        """Parse one ``environments.<name>`` entry of the context."""
        where = f"environments.{name}"
        if not isinstance(raw, Mapping):
            raise ValueError(f"{where} must be an object")
        _check_keys(where, raw, _ENVIRONMENT_KEYS)
        auth_raw = _typed(where, raw, "auth", Mapping, {}) or {}
        _check_keys(f"{where}.auth", auth_raw, _AUTH_KEYS)
        claims_raw = _typed(f"{where}.auth", auth_raw, "claims", Mapping, {}) or {}
        _check_keys(f"{where}.auth.claims", claims_raw, frozenset(_CLAIM_KEYS))
        throttle_rate = _typed(where, raw, "throttleRateLimit", (int, float), 100.0)
        max_lifetime = _typed(
            where,
            raw,
            "maxTokenLifetimeMinutes",
            int,
            definitions.DEFAULT_MAX_TOKEN_LIFETIME_SECONDS // 60,
        )
        limit_minutes = definitions.MAX_TOKEN_LIFETIME_LIMIT_SECONDS // 60
        if not 1 <= max_lifetime <= limit_minutes:
            raise ValueError(
                f"{where}.maxTokenLifetimeMinutes must be from 1 to {limit_minutes}, "
                f"got {max_lifetime}"
            )
        settings = cls(
            name=name,
            account=_typed(where, raw, "account", str, None),
            region=_typed(where, raw, "region", str, None),
            removal_policy=_enum_member(
                f"{where}.removalPolicy",
                RemovalPolicy,
                _typed(where, raw, "removalPolicy", str, "RETAIN_ON_UPDATE_OR_DELETE"),
                # SNAPSHOT does not apply to functions, keys, queues or log groups.
                allowed=("DESTROY", "RETAIN", "RETAIN_ON_UPDATE_OR_DELETE"),
            ),
            log_retention=_enum_member(
                f"{where}.logRetention",
                logs.RetentionDays,
                _typed(where, raw, "logRetention", str, "THREE_MONTHS"),
            ),
            point_in_time_recovery=_typed(where, raw, "pointInTimeRecovery", bool, True),
            throttle_rate_limit=float(throttle_rate),
            throttle_burst_limit=_typed(where, raw, "throttleBurstLimit", int, 200),
            event_retention_hours=_typed(
                where,
                raw,
                "eventRetentionHours",
                int,
                definitions.DEFAULT_EVENT_RETENTION_SECONDS // 3600,
            ),
            max_token_lifetime_minutes=max_lifetime,
            stage_name=_typed(where, raw, "stageName", str, "live"),
            log_level=_typed(where, raw, "logLevel", str, "INFO"),
            alarm_topic_arn=_typed(where, raw, "alarmTopicArn", str, None),
            alarm_email=_email(where, _typed(where, raw, "alarmEmail", str, None)),
            alarm_email_at_deploy=_typed(where, raw, "alarmEmailAtDeploy", bool, False),
            no_alarm_subscriber=_typed(where, raw, "noAlarmSubscriber", str, None),
            api_gateway_cloudwatch_role=_typed(where, raw, "apiGatewayCloudWatchRole", bool, True),
            fan_out_reserved_concurrency=_positive(
                where,
                "fanOutReservedConcurrency",
                _typed(where, raw, "fanOutReservedConcurrency", int, None),
            ),
            auth=AuthSettings(
                mode=_typed(f"{where}.auth", auth_raw, "mode", str, definitions.AUTH_MODE_HS256),
                jwks_url=_typed(f"{where}.auth", auth_raw, "jwksUrl", str, None),
                issuer=_typed(f"{where}.auth", auth_raw, "issuer", str, None),
                audience=_typed(f"{where}.auth", auth_raw, "audience", str, None),
                claims=ClaimNames(
                    **{
                        _CLAIM_KEYS[key]: _typed(f"{where}.auth.claims", claims_raw, key, str, None)
                        for key in claims_raw
                    }
                ),
            ),
            auth_secret_arn=_typed(f"{where}.auth", auth_raw, "secretArn", str, None),
        )
        _check_alarm_subscriber(where, raw)
        return settings


@dataclass(frozen=True, kw_only=True)
class AppSettings:
    """The app's context: a name prefix and the environments to synthesize."""

    name_prefix: str
    environments: tuple[EnvironmentSettings, ...]

    @classmethod
    def from_context(cls, raw: object) -> AppSettings:
        """Parse the app's context object (``cdk.json`` → ``context`` → the app's key)."""
        if not isinstance(raw, Mapping):
            raise ValueError("the cdk.json context has no settings object for this app")
        _check_keys("settings", raw, frozenset({"namePrefix", "environments"}))
        environments = raw.get("environments")
        if not isinstance(environments, Mapping) or not environments:
            raise ValueError("settings.environments must name at least one environment")
        return cls(
            name_prefix=_typed("settings", raw, "namePrefix", str, definitions.DEFAULT_NAME_PREFIX),
            environments=tuple(
                EnvironmentSettings.from_context(name, value)
                for name, value in environments.items()
            ),
        )
