"""Check 2, the topic: it exists, it is KMS-encrypted, and ``ALEXHO_INVOICE_TOPIC_ARN`` (when
set, as a backend sets it for the publisher SDK) names it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from botocore.exceptions import BotoCoreError, ClientError

from alexho_invoice_ops.aws_errors import describe, error_code
from alexho_invoice_ops.results import CheckResult
from alexho_invoice_ops.target import CheckTarget
from alexho_invoice_runtime.definitions import PUBLISHER_TOPIC_ARN_ENV

KEY: Final = "topic"
TITLE: Final = "Topic"


def check_topic(target: CheckTarget, environ: Mapping[str, str]) -> CheckResult:
    """Read the topic's attributes and compare the backend's setting with the stack's ARN."""
    arn = target.topic_arn
    try:
        attributes = target.client("sns").get_topic_attributes(TopicArn=arn)["Attributes"]
    except (BotoCoreError, ClientError) as error:
        if error_code(error) == "NotFound":
            return CheckResult.failed(
                KEY,
                TITLE,
                f"{arn} does not exist",
                "the stack's topic was deleted outside CloudFormation: deploy the stack again",
            )
        return CheckResult.failed(
            KEY,
            TITLE,
            f"cannot read {arn}: {describe(error)}",
            "allow sns:GetTopicAttributes on the topic to the credentials you run the check with",
        )
    key = attributes.get("KmsMasterKeyId", "")
    if not key:
        return CheckResult.failed(
            KEY,
            TITLE,
            f"{arn} is not encrypted",
            "give the topic a KMS key (the construct's default; drop a topic_props override "
            "that removed master_key) and deploy again",
        )
    configured = environ.get(PUBLISHER_TOPIC_ARN_ENV, "").strip()
    if configured and configured != arn:
        return CheckResult.failed(
            KEY,
            TITLE,
            f"{PUBLISHER_TOPIC_ARN_ENV} is {configured}, but this stack's topic is {arn}",
            f"set {PUBLISHER_TOPIC_ARN_ENV}={arn} where the backend publishes "
            "(events sent elsewhere never reach this stack's clients)",
            topicArn=arn,
            configuredTopicArn=configured,
        )
    setting = (
        f"; {PUBLISHER_TOPIC_ARN_ENV} names it"
        if configured
        else f"; {PUBLISHER_TOPIC_ARN_ENV} is not set here"
    )
    return CheckResult.passed(
        KEY,
        TITLE,
        f"{arn} exists, encrypted with {key}{setting}",
        topicArn=arn,
        kmsKey=key,
        subscriptions=int(attributes.get("SubscriptionsConfirmed", "0") or 0),
    )
