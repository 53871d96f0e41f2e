"""The invoice-events topic (KMS-encrypted, SSL-only) and the fan-out's dead-letter queues."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from .nag import acknowledge
from .naming import BaseNames, PhysicalNames
from .options import merge_overrides

#: SQS's maximum: failed deliveries stay inspectable and redrivable for two weeks.
DLQ_RETENTION = Duration.days(14)


def create_topic_key(scope: Construct, topic_name: str, removal_policy: RemovalPolicy) -> kms.Key:
    """Customer-managed, rotating key for the topic; its policy lets SNS use it."""
    key = kms.Key(
        scope,
        "TopicKey",
        alias=f"alias/{topic_name}",
        description=f"Encrypts messages of the SNS topic {topic_name}",
        enable_key_rotation=True,
        removal_policy=removal_policy,
    )
    stack = Stack.of(scope)
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowSnsInThisAccountToUseTheKey",
            principals=[iam.ServicePrincipal("sns.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],  # in a key policy, "*" means this key
            conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
        )
    )
    return key


def create_topic(
    scope: Construct,
    names: PhysicalNames,
    *,
    props: Mapping[str, Any] | None,
    removal_policy: RemovalPolicy,
) -> tuple[sns.Topic, kms.IKey]:
    """The topic backends publish to, with a new key unless ``props`` brings ``master_key``."""
    overrides = dict(props or {})
    topic_name = str(overrides.get("topic_name") or names.name(BaseNames.TOPIC))
    key: kms.IKey = overrides.get("master_key") or create_topic_key(
        scope, topic_name, removal_policy
    )
    settings = merge_overrides(
        "topic_props",
        {
            "topic_name": topic_name,
            "display_name": "AlexHo invoice events",
            "master_key": key,
            "enforce_ssl": True,
        },
        overrides,
    )
    return sns.Topic(scope, "Topic", **settings), key


def create_dead_letter_queue(
    scope: Construct,
    construct_id: str,
    *,
    queue_name: str,
    removal_policy: RemovalPolicy,
    dead_letters_of: str,
) -> sqs.Queue:
    """Encrypted (SSE-SQS), SSL-only queue that keeps failed deliveries for 14 days."""
    queue = sqs.Queue(
        scope,
        construct_id,
        queue_name=queue_name,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=DLQ_RETENTION,
        removal_policy=removal_policy,
    )
    acknowledge(
        queue,
        "AwsSolutions-SQS3",
        f"This queue is itself the dead-letter queue of {dead_letters_of}; "
        "its messages are alarmed on and redriven by an operator.",
    )
    return queue
