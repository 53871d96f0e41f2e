"""``alexho-local redrive``: publish the valid events of the on-failure queue back to the topic."""

from __future__ import annotations

import boto3

from alexho_invoice_local.aws.clients import client_args
from alexho_invoice_local.endpoints import StackEndpoints

#: The subcommand's one-line help.
REDRIVE_SUMMARY = "publish the valid events of the on-failure queue back to the topic"


def run_redrive(endpoints: StackEndpoints) -> int:
    """Redrive the running stack's on-failure queue and print what happened (exit code 0)."""
    # Imported here: the runtime configures its logger on import, from the environment, which
    # `up` sets only once the stack starts.
    from alexho_invoice_local.aws.redrive import redrive

    args = client_args(endpoints.aws_endpoint_url, endpoints.region)
    report = redrive(
        boto3.client("sqs", **args),
        boto3.client("sns", **args),
        endpoints.on_failure_queue_url,
        endpoints.topic_arn,
    )
    for event_id in report.redriven:
        print(f"redriven: event {event_id}")
    for left in report.left:
        print(f"left in the queue: {left.line()}")
    print(f"{len(report.redriven)} event(s) published again, {len(report.left)} left in the queue")
    return 0
