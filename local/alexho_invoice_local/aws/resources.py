"""The AWS resources of the local stack, created in moto from the shared definitions.

Tables come from :func:`alexho_invoice_runtime.definitions.connections_table_definition`,
:func:`~alexho_invoice_runtime.definitions.event_log_table_definition` and
:func:`~alexho_invoice_runtime.definitions.revocations_table_definition` (the construct builds
the same keys from the same definitions), so the local stack cannot drift from what is deployed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Final

import boto3

from alexho_invoice_local.aws.clients import client_args
from alexho_invoice_local.settings import StackSettings
from alexho_invoice_runtime import definitions

#: Stands in for Lambda's internal queue of asynchronous invocations of the fan-out function.
INVOCATION_QUEUE_BASE_NAME: Final = "SendInvoiceUpdateInvocations"
#: Longer than an invocation and its retries take: a message in flight never reappears early.
INVOCATION_VISIBILITY_SECONDS: Final = 300
SIGNING_KEY_BYTES: Final = 48
#: The AWS-managed SNS key: moto needs no key of its own for it.
LOCAL_TOPIC_KEY: Final = "alias/aws/sns"


@dataclass(frozen=True)
class LocalResources:
    """Names and ARNs of everything :func:`create_resources` made."""

    connections_table: str
    event_log_table: str
    revocations_table: str
    topic_arn: str
    invocation_queue_url: str
    subscription_arn: str
    on_failure_queue_url: str
    secret_arn: str


def create_resources(settings: StackSettings, endpoint_url: str) -> LocalResources:
    """Create tables (with TTL), topic, SQS subscription, on-failure queue and signing secret."""
    args = client_args(endpoint_url, settings.region)
    dynamodb = boto3.client("dynamodb", **args)
    connections = settings.physical_name(definitions.CONNECTIONS_BASE_NAME)
    event_log = settings.physical_name(definitions.EVENT_LOG_BASE_NAME)
    revocations = settings.physical_name(definitions.REVOCATIONS_BASE_NAME)
    for definition, ttl_attribute in (
        (definitions.connections_table_definition(connections), definitions.CONNECTION_EXPIRES_AT),
        (definitions.event_log_table_definition(event_log), definitions.EVENT_LOG_EXPIRES_AT),
        (
            definitions.revocations_table_definition(revocations),
            definitions.REVOCATION_EXPIRES_AT,
        ),
    ):
        dynamodb.create_table(**definition)
        dynamodb.update_time_to_live(
            TableName=definition["TableName"],
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute},
        )

    sns = boto3.client("sns", **args)
    sqs = boto3.client("sqs", **args)
    # Encrypted like the deployed topic (moto records the key; `alexho-realtime check` reads it).
    topic_arn = sns.create_topic(
        Name=settings.physical_name(definitions.TOPIC_BASE_NAME),
        Attributes={"KmsMasterKeyId": LOCAL_TOPIC_KEY},
    )["TopicArn"]
    on_failure_url = sqs.create_queue(
        QueueName=settings.physical_name(definitions.ON_FAILURE_DLQ_BASE_NAME)
    )["QueueUrl"]
    invocation_url = sqs.create_queue(
        QueueName=settings.physical_name(INVOCATION_QUEUE_BASE_NAME),
        Attributes={"VisibilityTimeout": str(INVOCATION_VISIBILITY_SECONDS)},
    )["QueueUrl"]
    invocation_arn = sqs.get_queue_attributes(QueueUrl=invocation_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    # Not raw: the queue receives SNS's notification JSON, from which the worker rebuilds the
    # record Lambda would get (message attributes, message id, timestamp, topic).
    subscription_arn = sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=invocation_arn,
        Attributes={"RawMessageDelivery": "false"},
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]

    secret_arn = boto3.client("secretsmanager", **args).create_secret(
        Name=settings.physical_name(definitions.AUTH_SECRET_BASE_NAME),
        Description="HS256 key that signs WebSocket connect tokens (local stack)",
        SecretString=secrets.token_urlsafe(SIGNING_KEY_BYTES),
    )["ARN"]
    return LocalResources(
        connections_table=connections,
        event_log_table=event_log,
        revocations_table=revocations,
        topic_arn=topic_arn,
        invocation_queue_url=invocation_url,
        subscription_arn=subscription_arn,
        on_failure_queue_url=on_failure_url,
        secret_arn=secret_arn,
    )
