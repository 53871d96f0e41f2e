"""``alexho-local revoke``: revoke a customer's or a subject's access on the running stack.

Uses the publisher SDK's :class:`~alexho_invoice_publisher.AccessRevoker`, as a backend would
on AWS: the authorizer refuses the identity's tokens issued until now, and its open
connections are closed.
"""

from __future__ import annotations

import argparse
import sys

import boto3

from alexho_invoice_local.aws.clients import client_args
from alexho_invoice_local.cli import arguments
from alexho_invoice_local.cli.arguments import EXIT_USAGE
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_publisher import AccessRevoker, PublisherError


def add_revoke_arguments(revoke: argparse.ArgumentParser) -> None:
    """Add the arguments of the ``revoke`` subcommand to its parser."""
    who = revoke.add_mutually_exclusive_group(required=True)
    who.add_argument(
        "--customer-id", type=arguments.customer_id, help="every user of this customer"
    )
    who.add_argument("--subject", help="this subject (the tokens' sub claim)")


def local_revoker(endpoints: StackEndpoints) -> AccessRevoker:
    """An :class:`AccessRevoker` for the running stack (moto and the local Management API)."""
    args = client_args(endpoints.aws_endpoint_url, endpoints.region)
    return AccessRevoker(
        revocations_table=endpoints.revocations_table,
        connections_table=endpoints.connections_table,
        callback_url=endpoints.callback_url,
        dynamodb_client=boto3.client("dynamodb", **args),
        management_client=boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=endpoints.callback_url,
            region_name=endpoints.region,
            aws_access_key_id=args["aws_access_key_id"],
            aws_secret_access_key=args["aws_secret_access_key"],
        ),
    )


def run_revoke(args: argparse.Namespace, endpoints: StackEndpoints) -> int:
    """Revoke what ``args`` names; print what was done."""
    revoker = local_revoker(endpoints)
    try:
        if args.customer_id is not None:
            result = revoker.revoke_customer(args.customer_id)
        else:
            result = revoker.revoke_subject(args.subject)
    except PublisherError as error:
        print(f"alexho-local: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(
        f"revoked {result.key}: tokens issued up to {result.revoked_at} are refused; "
        f"{result.disconnected} connection(s) closed"
    )
    return 0
