"""The invoice-events and alarm topics and the fan-out's dead-letter queues (all KMS-encrypted,
SSL-only)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsii
from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from .encryption import grant_decrypt_via
from .nag import acknowledge
from .naming import BaseNames, PhysicalNames
from .options import merge_overrides

#: SQS's maximum: failed deliveries stay inspectable and redrivable for two weeks.
DLQ_RETENTION = Duration.days(14)


def create_topic(
    scope: Construct,
    names: PhysicalNames,
    *,
    props: Mapping[str, Any] | None,
    encryption_key: kms.IKey,
) -> tuple[sns.Topic, kms.IKey]:
    """The topic backends publish to, encrypted with ``encryption_key`` unless ``props`` brings
    a ``master_key``; returns the topic and its key."""
    overrides = dict(props or {})
    topic_name = str(overrides.get("topic_name") or names.name(BaseNames.TOPIC))
    key: kms.IKey = overrides.get("master_key") or encryption_key
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


def create_alarm_topic(scope: Construct, topic_name: str, encryption_key: kms.IKey) -> sns.Topic:
    """The topic the alarms notify when the caller brings none (subscribe e-mail or chat)."""
    return sns.Topic(
        scope,
        "AlarmTopic",
        topic_name=topic_name,
        display_name="AlexHo invoice realtime alarms",
        master_key=encryption_key,
        enforce_ssl=True,
    )


def create_dead_letter_queue(
    scope: Construct,
    construct_id: str,
    *,
    queue_name: str,
    removal_policy: RemovalPolicy,
    encryption_key: kms.IKey,
    dead_letters_of: str,
) -> sqs.Queue:
    """KMS-encrypted, SSL-only queue that keeps failed deliveries for 14 days."""
    queue = sqs.Queue(
        scope,
        construct_id,
        queue_name=queue_name,
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=encryption_key,
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


@jsii.implements(lambda_.IDestination)
class QueueDestination:
    """A Lambda destination on ``queue`` with the least privilege: ``sqs:SendMessage`` on the
    queue and, for a KMS-encrypted queue, the key through SQS only (CDK's ``SqsDestination``
    grants ``kms:Encrypt``/``kms:ReEncrypt*``/``kms:GenerateDataKey*`` on the key as well)."""

    def __init__(self, queue: sqs.IQueue) -> None:
        self._queue = queue

    def bind(
        self,
        _scope: Construct,
        fn: lambda_.IFunction,
        *,
        type: lambda_.DestinationType | None = None,
    ) -> lambda_.DestinationConfig:
        """Grant ``fn`` sending to the queue; the queue's ARN is the destination."""
        fn.add_to_role_policy(
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[self._queue.queue_arn])
        )
        if self._queue.encryption_master_key is not None:
            grant_decrypt_via(self._queue.encryption_master_key, fn, "sqs")
        return lambda_.DestinationConfig(destination=self._queue.queue_arn)
