"""The SDK needs boto3 only: no aws-cdk-lib, and PyJWT only for minting tokens."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# Runs in a fresh interpreter where importing PyJWT or the CDK fails, as when they are not
# installed; it publishes one event through moto and prints whether SNS took it.
_SCRIPT = textwrap.dedent(
    """
    import sys
    for blocked in ("jwt", "aws_cdk", "constructs", "cdk_nag"):
        sys.modules[blocked] = None
    import boto3
    from moto import mock_aws
    from alexho_invoice_publisher import InvoiceEventPublisher

    with mock_aws():
        arn = boto3.client("sns", region_name="eu-west-1").create_topic(Name="t")["TopicArn"]
        result = InvoiceEventPublisher(topic_arn=arn).publish_invoice_sent(
            "inv-1", "cust-42", {"status": "SENT"}
        )
    print(bool(result.message_id))
    """
)


def test_publishing_works_without_pyjwt_or_the_cdk() -> None:
    # GIVEN an interpreter in which PyJWT and aws-cdk-lib cannot be imported
    # WHEN the SDK is imported and publishes an event
    completed = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=60, check=False
    )

    # THEN it succeeds
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "True"
