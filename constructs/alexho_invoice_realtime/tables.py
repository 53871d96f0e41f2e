"""DynamoDB tables: connections (+ ``byAudience`` and ``bySubject`` GSIs), the event log used
by ``resume``, and the revocations read by key (never scanned).

Keys and indexes are built from the ``CreateTable`` definitions of
``alexho_invoice_runtime.definitions`` — the ones
the runtime and the local stack use — so the three cannot drift apart; they, and the TTL
attributes, cannot be overridden through ``*_table_props``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from alexho_invoice_runtime import definitions

from .checkov import skip_check
from .nag import acknowledge
from .naming import BaseNames, PhysicalNames
from .options import merge_overrides

#: Props that define the runtime contract: key schema and TTL attribute.
_CONTRACT_PROPS: Final = ("partition_key", "sort_key", "time_to_live_attribute")
_ATTRIBUTE_TYPES: Final = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
_KEY_PROPS: Final = {"HASH": "partition_key", "RANGE": "sort_key"}


def _key_props(definition: Mapping[str, Any], key_schema: list[dict[str, str]]) -> dict[str, Any]:
    """``partition_key``/``sort_key`` (``dynamodb.Attribute``) of a ``CreateTable`` key schema,
    typed from its attribute definitions."""
    types = {a["AttributeName"]: a["AttributeType"] for a in definition["AttributeDefinitions"]}
    return {
        _KEY_PROPS[key["KeyType"]]: dynamodb.Attribute(
            name=key["AttributeName"], type=_ATTRIBUTE_TYPES[types[key["AttributeName"]]]
        )
        for key in key_schema
    }


def _table_settings(
    props_name: str,
    table_name: str,
    props: Mapping[str, Any] | None,
    *,
    removal_policy: RemovalPolicy,
    point_in_time_recovery: bool,
    encryption_key: kms.IKey,
) -> dict[str, Any]:
    """Secure defaults (on-demand, the construct's KMS key, PITR) with the caller's overrides
    on top (an ``encryption`` override alone drops the default key)."""
    defaults: dict[str, Any] = {
        "table_name": table_name,
        "billing_mode": dynamodb.BillingMode.PAY_PER_REQUEST,
        "removal_policy": removal_policy,
        # Only with RETAIN: RETAIN_ON_UPDATE_OR_DELETE deletes the table when the stack's first
        # create rolls back, and deletion protection would make that rollback fail.
        "deletion_protection": removal_policy == RemovalPolicy.RETAIN,
    }
    if "encryption" not in (props or {}):
        defaults["encryption"] = dynamodb.TableEncryption.CUSTOMER_MANAGED
        defaults["encryption_key"] = encryption_key
    if "point_in_time_recovery" not in (props or {}):  # the deprecated flag excludes the spec
        defaults["point_in_time_recovery_specification"] = (
            dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=point_in_time_recovery
            )
        )
    return merge_overrides(props_name, defaults, props, fixed=_CONTRACT_PROPS)


def _pitr_enabled(settings: Mapping[str, Any]) -> bool:
    if "point_in_time_recovery" in settings:
        return bool(settings["point_in_time_recovery"])
    specification = settings.get("point_in_time_recovery_specification")
    if isinstance(specification, Mapping):
        return bool(specification.get("point_in_time_recovery_enabled"))
    return bool(specification and specification.point_in_time_recovery_enabled)


@dataclass(frozen=True)
class TableKind:
    """What differs between the tables (connections, revocations, event log)."""

    construct_id: str
    base_name: str
    props_name: str
    definition: Callable[[str], dict[str, Any]]
    ttl_attribute: str
    #: What the rows are, for the reason of a disabled-PITR acknowledgement.
    holds: str


CONNECTIONS: Final = TableKind(
    "ConnectionsTable",
    BaseNames.CONNECTIONS_TABLE,
    "connections_table_props",
    definitions.connections_table_definition,
    definitions.CONNECTION_EXPIRES_AT,
    "connection rows that expire within about two hours",
)
REVOCATIONS: Final = TableKind(
    "RevocationsTable",
    BaseNames.REVOCATIONS_TABLE,
    "revocations_table_props",
    definitions.revocations_table_definition,
    definitions.REVOCATION_EXPIRES_AT,
    "revocations that matter only until the tokens they refuse have expired (a day at most)",
)
EVENT_LOG: Final = TableKind(
    "EventLogTable",
    BaseNames.EVENT_LOG_TABLE,
    "event_log_table_props",
    definitions.event_log_table_definition,
    definitions.EVENT_LOG_EXPIRES_AT,
    "a replay buffer of events kept for the resume window",
)


def create_table(
    scope: Construct,
    kind: TableKind,
    names: PhysicalNames,
    *,
    props: Mapping[str, Any] | None,
    removal_policy: RemovalPolicy,
    point_in_time_recovery: bool,
    encryption_key: kms.IKey,
) -> dynamodb.Table:
    """The table of ``kind``: keys and GSIs (with their projections) from its shared
    definition, TTL on, secure defaults (encrypted with ``encryption_key``) with ``props``
    merged over them."""
    table_name = names.name(kind.base_name)
    definition = kind.definition(table_name)
    settings = _table_settings(
        kind.props_name,
        table_name,
        props,
        removal_policy=removal_policy,
        point_in_time_recovery=point_in_time_recovery,
        encryption_key=encryption_key,
    )
    table = dynamodb.Table(
        scope,
        kind.construct_id,
        time_to_live_attribute=kind.ttl_attribute,
        **_key_props(definition, definition["KeySchema"]),
        **settings,
    )
    for index in definition.get("GlobalSecondaryIndexes", []):
        table.add_global_secondary_index(
            index_name=index["IndexName"],
            projection_type=dynamodb.ProjectionType[index["Projection"]["ProjectionType"]],
            non_key_attributes=index["Projection"].get("NonKeyAttributes"),
            **_key_props(definition, index["KeySchema"]),
        )
    if not _pitr_enabled(settings):
        acknowledge(
            table,
            "AwsSolutions-DDB3",
            "Point-in-time recovery was switched off for this environment "
            f"(point_in_time_recovery=False); the table holds {kind.holds}, "
            "which clients rebuild by reconnecting.",
        )
        skip_check(
            table,
            "CKV_AWS_28",
            "Point-in-time recovery is off by this environment's choice "
            f"(point_in_time_recovery=False): the table holds {kind.holds}.",
        )
    return table
