"""The construct's stores: the data key, the three tables, the invoice topic, both dead-letter
queues and the signing secret.

A component, not a construct: it creates its resources in the ``AlexHoInvoiceRealtime`` scope
it is given, so that their logical ids (and the named resources of deployed stacks) stay put.
"""

from __future__ import annotations

from typing import Any, Final

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from .encryption import create_data_key
from .messaging import create_dead_letter_queue, create_topic
from .nag import acknowledge
from .naming import BaseNames, PhysicalNames
from .options import merge_overrides
from .props import FanOutOptions, StorageOptions
from .tables import CONNECTIONS, EVENT_LOG, REVOCATIONS, create_table

#: Base name of the data key's alias, the alarm topic and the dashboard.
SYSTEM_BASE_NAME: Final = "InvoiceRealtime"


class Storage:
    """Everything that holds data, created (or taken from ``options``) in ``scope``."""

    def __init__(
        self,
        scope: Construct,
        names: PhysicalNames,
        options: StorageOptions,
        fan_out: FanOutOptions,
        *,
        uses_secret: bool,
    ) -> None:
        removal_policy = options.removal_policy
        self.encryption_key: kms.IKey = options.encryption_key or create_data_key(
            scope, names.name(SYSTEM_BASE_NAME), removal_policy
        )
        key = self.encryption_key
        tables: dict[str, Any] = {
            "removal_policy": removal_policy,
            "point_in_time_recovery": options.point_in_time_recovery,
            "encryption_key": key,
        }
        self.connections_table: dynamodb.ITable = options.existing_connections_table or (
            create_table(scope, CONNECTIONS, names, props=options.connections_table_props, **tables)
        )
        self.event_log_table: dynamodb.ITable = options.existing_event_log_table or create_table(
            scope, EVENT_LOG, names, props=options.event_log_table_props, **tables
        )
        self.revocations_table: dynamodb.ITable = options.existing_revocations_table or (
            create_table(scope, REVOCATIONS, names, props=options.revocations_table_props, **tables)
        )
        self.topic_key: kms.IKey | None = None
        if fan_out.existing_topic is not None:
            self.topic: sns.ITopic = fan_out.existing_topic
        else:
            self.topic, self.topic_key = create_topic(
                scope, names, props=fan_out.topic_props, encryption_key=key
            )
        self.subscription_dlq: sqs.Queue = create_dead_letter_queue(
            scope,
            "SubscriptionDeadLetterQueue",
            queue_name=names.name(BaseNames.SUBSCRIPTION_DLQ),
            removal_policy=removal_policy,
            encryption_key=key,
            dead_letters_of="the SNS subscription of the fan-out function",
        )
        self.on_failure_dlq: sqs.Queue = create_dead_letter_queue(
            scope,
            "OnFailureDeadLetterQueue",
            queue_name=names.name(BaseNames.ON_FAILURE_DLQ),
            removal_policy=removal_policy,
            encryption_key=key,
            dead_letters_of="the fan-out function's asynchronous invocations",
        )
        self.secret: secretsmanager.ISecret | None = None
        if uses_secret:
            self.secret = options.existing_auth_secret or _create_auth_secret(
                scope, names, options, key
            )


def _create_auth_secret(
    scope: Construct, names: PhysicalNames, options: StorageOptions, key: kms.IKey
) -> secretsmanager.Secret:
    settings = merge_overrides(
        "auth_secret_props",
        {
            "secret_name": names.name(BaseNames.AUTH_SECRET),
            "description": "HS256 key that signs WebSocket connect tokens (raw SecretString)",
            "generate_secret_string": secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
            "removal_policy": options.removal_policy,
            "encryption_key": key,
        },
        options.auth_secret_props,
    )
    secret = secretsmanager.Secret(scope, "AuthSecret", **settings)
    acknowledge(
        secret,
        "AwsSolutions-SMG4",
        "The HS256 signing key is shared with the backend that mints connect tokens; "
        "rotating it needs a coordinated rollout of both, so it is rotated by an "
        "operator rather than by a rotation Lambda.",
    )
    return secret
