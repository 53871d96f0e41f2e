"""The publisher SDK, pointed at a local stack's topic in moto."""

from __future__ import annotations

import boto3

from alexho_invoice_local.aws.clients import client_args
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_publisher import InvoiceEventPublisher


def local_publisher(
    endpoints: StackEndpoints, source: str = "alexho-local"
) -> InvoiceEventPublisher:
    """An :class:`InvoiceEventPublisher` for the stack's topic (SNS calls go to moto)."""
    sns = boto3.client("sns", **client_args(endpoints.aws_endpoint_url, endpoints.region))
    return InvoiceEventPublisher(topic_arn=endpoints.topic_arn, source=source, sns_client=sns)
