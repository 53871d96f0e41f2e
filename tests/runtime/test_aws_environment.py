"""Region, credentials and endpoint resolution of the AWS layer
(``alexho_invoice_runtime.aws.environment``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from alexho_invoice_runtime.aws import environment
from alexho_invoice_runtime.aws.environment import DYNAMODB, SECRETS_MANAGER
from alexho_invoice_runtime.aws.errors import AwsConfigError

_VARIABLES = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
)


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in _VARIABLES:
        monkeypatch.delenv(name, raising=False)
    environment.reset()
    yield
    environment.reset()


def test_the_service_specific_endpoint_wins_over_the_general_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:2")
    assert environment.endpoint(DYNAMODB) == "http://127.0.0.1:2"
    assert environment.endpoint(SECRETS_MANAGER) == "http://127.0.0.1:1"


def test_configured_endpoints_can_be_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    assert environment.endpoint(DYNAMODB) == "https://dynamodb.eu-west-1.amazonaws.com"


@pytest.mark.parametrize(
    ("region", "fips", "expected"),
    [
        ("eu-west-1", False, "https://dynamodb.eu-west-1.amazonaws.com"),
        ("us-gov-west-1", False, "https://dynamodb.us-gov-west-1.amazonaws.com"),
        ("cn-north-1", False, "https://dynamodb.cn-north-1.amazonaws.com.cn"),
        ("us-east-1", True, "https://dynamodb-fips.us-east-1.amazonaws.com"),
    ],
)
def test_public_endpoints_follow_the_region(region: str, fips: bool, expected: str) -> None:
    assert environment.public_endpoint(DYNAMODB, region, fips=fips) == expected


def test_a_region_of_another_partition_asks_for_an_endpoint_variable() -> None:
    with pytest.raises(AwsConfigError, match="AWS_ENDPOINT_URL_DYNAMODB"):
        environment.public_endpoint(DYNAMODB, "us-iso-east-1")


def test_dual_stack_asks_for_an_endpoint_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_USE_DUALSTACK_ENDPOINT", "true")
    with pytest.raises(AwsConfigError, match="AWS_ENDPOINT_URL_SECRETS_MANAGER"):
        environment.endpoint(SECRETS_MANAGER)


def test_the_fips_setting_chooses_the_fips_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_USE_FIPS_ENDPOINT", "true")
    assert environment.endpoint(SECRETS_MANAGER) == (
        "https://secretsmanager-fips.eu-west-1.amazonaws.com"
    )


def test_an_endpoint_is_resolved_once_until_reset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    assert environment.endpoint(DYNAMODB) == "http://127.0.0.1:1"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:2")
    assert environment.endpoint(DYNAMODB) == "http://127.0.0.1:1"
    environment.reset()
    assert environment.endpoint(DYNAMODB) == "http://127.0.0.1:2"


def test_region_prefers_aws_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    assert environment.region() == "eu-central-1"
    monkeypatch.delenv("AWS_REGION")
    assert environment.region() == "us-east-1"
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(AwsConfigError, match="AWS_REGION"):
        environment.region()


def test_credentials_come_from_the_environment_on_each_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDONE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-one")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    assert environment.credentials().session_token is None
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTWO")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token-two")
    assert (environment.credentials().access_key, environment.credentials().session_token) == (
        "AKIDTWO",
        "token-two",
    )
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(AwsConfigError, match="credentials"):
        environment.credentials()
