"""Secrets Manager through the AWS layer, against moto's server."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from alexho_invoice_runtime.aws import clients
from alexho_invoice_runtime.aws.errors import AwsError
from tests.runtime.conftest import AwsTables


@pytest.fixture
def secrets_at_moto(
    aws: AwsTables, moto_server_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", moto_server_url)
    clients.reset()
    yield
    clients.reset()


def test_the_secret_string_is_read(secrets_at_moto: None) -> None:
    arn = boto3.client("secretsmanager").create_secret(Name="s-1", SecretString="k" * 40)["ARN"]
    assert clients.secrets().secret_string(arn) == "k" * 40


def test_a_binary_secret_has_no_string(secrets_at_moto: None) -> None:
    boto3.client("secretsmanager").create_secret(Name="s-2", SecretBinary=b"\x00")
    assert clients.secrets().secret_string("s-2") is None


def test_a_missing_secret_is_an_aws_error_with_its_code(secrets_at_moto: None) -> None:
    with pytest.raises(AwsError) as raised:
        clients.secrets().secret_string("no-such-secret")
    assert raised.value.code == "ResourceNotFoundException"
