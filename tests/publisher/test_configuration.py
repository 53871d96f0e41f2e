"""Configuration from arguments or the environment, with typed errors for what is missing."""

from __future__ import annotations

import boto3
import pytest

from alexho_invoice_publisher import (
    TOPIC_ARN_ENV,
    InvoiceEventPublisher,
    PublisherConfigurationError,
)

TOPIC_ARN = "arn:aws:sns:eu-central-1:123456789012:alexHoInvoiceEvents-prod"


def test_from_environment_reads_the_topic_arn_and_takes_the_region_from_it() -> None:
    # GIVEN the topic ARN in the environment
    environ = {TOPIC_ARN_ENV: TOPIC_ARN, "AWS_REGION": "eu-west-1"}

    # WHEN a publisher is made from it
    publisher = InvoiceEventPublisher.from_environment(environ=environ)

    # THEN it targets that topic, in the topic's region (SNS must be called there)
    assert (publisher.topic_arn, publisher.region) == (TOPIC_ARN, "eu-central-1")


def test_from_environment_defaults_to_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN the topic ARN exported in the process environment
    monkeypatch.setenv(TOPIC_ARN_ENV, TOPIC_ARN)

    # WHEN a publisher is made from the environment
    publisher = InvoiceEventPublisher.from_environment(source="billing")

    # THEN it uses it
    assert (publisher.topic_arn, publisher.source) == (TOPIC_ARN, "billing")


@pytest.mark.parametrize("environ", [{}, {TOPIC_ARN_ENV: "  "}], ids=["unset", "blank"])
def test_from_environment_without_a_topic_arn_names_the_variable(environ: dict[str, str]) -> None:
    # GIVEN no topic ARN in the environment
    # WHEN a publisher is made from it
    # THEN the error names the variable to set
    with pytest.raises(PublisherConfigurationError, match=TOPIC_ARN_ENV):
        InvoiceEventPublisher.from_environment(environ=environ)


@pytest.mark.parametrize(
    "topic_arn",
    [
        "alexHoInvoiceEvents",
        "arn:aws:sqs:eu-west-1:123456789012:alexHoInvoiceEvents",
        "arn:aws:sns:eu-west-1:12345:alexHoInvoiceEvents",
        "arn:aws:sns:eu-west-1:123456789012:bad name",
    ],
)
def test_a_malformed_topic_arn_is_refused(topic_arn: str) -> None:
    # GIVEN something that is not an SNS topic ARN
    # WHEN a publisher is made for it
    # THEN a configuration error says what is expected
    with pytest.raises(PublisherConfigurationError, match="not an SNS topic ARN"):
        InvoiceEventPublisher(topic_arn=topic_arn)


def test_a_region_other_than_the_topics_is_refused() -> None:
    # GIVEN a region that is not the topic's
    # WHEN a publisher is made
    # THEN the mismatch is reported before anything is published
    with pytest.raises(PublisherConfigurationError, match="eu-central-1"):
        InvoiceEventPublisher(topic_arn=TOPIC_ARN, region="us-east-1")


def test_a_matching_region_is_accepted() -> None:
    # GIVEN the topic's own region
    # WHEN a publisher is made with it
    publisher = InvoiceEventPublisher(topic_arn=TOPIC_ARN, region="eu-central-1")

    # THEN it is used
    assert publisher.region == "eu-central-1"


def test_an_injected_client_in_another_region_is_refused() -> None:
    # GIVEN an SNS client of another region than the topic's
    client = boto3.client("sns", region_name="us-east-1")

    # WHEN a publisher is made with it
    # THEN the mismatch is reported
    with pytest.raises(PublisherConfigurationError, match="us-east-1"):
        InvoiceEventPublisher(topic_arn=TOPIC_ARN, sns_client=client)


@pytest.mark.parametrize("source", ["", "   ", "s" * 257])
def test_a_blank_or_overlong_source_is_refused(source: str) -> None:
    # GIVEN a source the schema does not allow
    # WHEN a publisher is made with it
    # THEN a configuration error says what a source must be
    with pytest.raises(PublisherConfigurationError, match="source"):
        InvoiceEventPublisher(topic_arn=TOPIC_ARN, source=source)
