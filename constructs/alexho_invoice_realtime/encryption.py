"""One customer-managed KMS key for the data at rest: tables, queues, log groups, secret, topics.

The key policy keeps CDK's default (the account's IAM policies decide who uses the key) and
adds what the services need that act with their own identity: CloudWatch Logs (only for this
construct's log groups, by their encryption context), SNS (the topics, and delivery of failed
messages to the subscription's dead-letter queue) and CloudWatch (alarm notifications to the
encrypted alarm topic). DynamoDB, Secrets Manager and SQS use the key on behalf of the calling
function, so each function gets ``kms:Decrypt`` on it through that service only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from aws_cdk import Annotations, ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

#: What CloudWatch Logs needs to encrypt and read a log group's events with the key.
LOGS_ACTIONS: Final = (
    "kms:Encrypt*",
    "kms:Decrypt*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:Describe*",
)
#: What SNS and CloudWatch need to encrypt messages they send to the key's topics and queues.
SENDER_ACTIONS: Final = ("kms:Decrypt", "kms:GenerateDataKey*")


def create_data_key(scope: Construct, alias_name: str, removal_policy: RemovalPolicy) -> kms.Key:
    """The construct's own rotating key (alias ``alias/<alias_name>``)."""
    return kms.Key(
        scope,
        "DataKey",
        alias=f"alias/{alias_name}",
        description=f"Encrypts the data at rest of {alias_name}: tables, queues, logs, "
        "signing secret and topics",
        enable_key_rotation=True,
        removal_policy=removal_policy,
    )


def service_statements(
    scope: Construct, log_group_names: Iterable[str]
) -> list[iam.PolicyStatement]:
    """Key-policy statements for the services that use the key with their own identity."""
    stack = Stack.of(scope)
    log_group_arns = [
        stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name=name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        for name in sorted(log_group_names)
    ]
    senders = (
        ("AllowSnsInThisAccountToUseTheKey", "sns.amazonaws.com"),
        ("AllowCloudWatchAlarmsInThisAccountToNotify", "cloudwatch.amazonaws.com"),
    )
    return [
        iam.PolicyStatement(
            sid="AllowCloudWatchLogsForTheseLogGroups",
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=list(LOGS_ACTIONS),
            resources=["*"],  # in a key policy, "*" means this key
            conditions={"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": log_group_arns}},
        ),
        *(
            iam.PolicyStatement(
                sid=sid,
                principals=[iam.ServicePrincipal(service)],
                actions=list(SENDER_ACTIONS),
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
            for sid, service in senders
        ),
    ]


def add_service_statements(scope: Construct, key: kms.IKey, log_group_names: Iterable[str]) -> None:
    """Put :func:`service_statements` into ``key``'s policy; for a key imported by ARN (whose
    policy CDK cannot change) a synth warning lists the statements the key's owner must add."""
    statements = service_statements(scope, log_group_names)
    added = [key.add_to_resource_policy(statement).statement_added for statement in statements]
    if not all(added):
        Annotations.of(scope).add_warning_v2(
            "alexho:encryptionKeyPolicy",
            "encryption_key is imported, so its key policy cannot be changed here: make sure it "
            f"allows {', '.join(str(s.sid) for s in statements)} "
            "(docs/infrastructure.md, Encryption at rest, lists them)",
        )


#: What a caller needs on the key, per service that uses it on the caller's behalf.
CALLER_ACTIONS: Final = {
    # DynamoDB decrypts the table key with the caller's permission (DescribeKey: key checks).
    "dynamodb": ("kms:Decrypt", "kms:DescribeKey"),
    "secretsmanager": ("kms:Decrypt",),
    # Sending to an encrypted queue: SQS makes a data key (and checks it) for the sender.
    "sqs": ("kms:Decrypt", "kms:GenerateDataKey"),
}


def grant_decrypt_via(key: kms.IKey, grantee: iam.IGrantable, service: str) -> None:
    """The :data:`CALLER_ACTIONS` of ``service`` on ``key`` for ``grantee``, usable only
    through ``service`` in this region (``kms:ViaService``)."""
    actions = list(CALLER_ACTIONS[service])
    stack = Stack.of(key)
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(
            actions=actions,
            resources=[key.key_arn],
            conditions={
                "StringEquals": {"kms:ViaService": f"{service}.{stack.region}.amazonaws.com"}
            },
        )
    )
