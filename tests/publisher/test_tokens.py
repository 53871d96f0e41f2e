"""Connect tokens: HS256 JWTs with the claims the authorizer reads, keys from Secrets Manager."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import boto3
import jwt
import pytest
from moto import mock_aws

from alexho_invoice_publisher import (
    ConnectTokenMinter,
    InvalidTokenRequestError,
    MissingDependencyError,
    PublisherConfigurationError,
    SigningKeyUnavailableError,
    mint_connect_token,
)

KEY = "k" * 48
SECRET_NAME = "alexHoConnectTokenSigningKey-test"
NOW = 1_790_000_000


def _claims(token: str, key: str = KEY, **options: Any) -> dict[str, Any]:
    """Verify the token as a consumer would and return its claims."""
    claims: dict[str, Any] = jwt.decode(
        token, key, algorithms=["HS256"], options={"verify_exp": False}, **options
    )
    return claims


def test_a_customer_token_carries_sub_user_type_customer_id_and_a_60_second_expiry() -> None:
    # GIVEN a minter with a signing key and a fixed clock
    minter = ConnectTokenMinter(signing_key=KEY, clock=lambda: NOW)

    # WHEN a token is minted for a customer's user
    token = minter.mint(subject="user-7", user_type="CUSTOMER", customer_id="cust-42")

    # THEN it is an HS256 JWT with exactly the claims the authorizer reads
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert _claims(token) == {
        "sub": "user-7",
        "userType": "CUSTOMER",
        "customerId": "cust-42",
        "iat": NOW,
        "exp": NOW + 60,
    }


def test_an_admin_token_has_no_customer_id() -> None:
    # GIVEN a signing key
    # WHEN a token is minted for an admin
    token = mint_connect_token(subject="admin-1", user_type="ADMIN", signing_key=KEY)

    # THEN it has no customerId claim
    claims = _claims(token)
    assert (claims["sub"], claims["userType"]) == ("admin-1", "ADMIN")
    assert "customerId" not in claims


def test_issuer_audience_and_claim_names_follow_the_configuration() -> None:
    # GIVEN an authorizer that checks iss/aud and reads renamed claims
    minter = ConnectTokenMinter(
        signing_key=KEY,
        issuer="https://billing.example.com",
        audience="alexho-invoice",
        claim_sub="uid",
        claim_user_type="role",
        claim_customer_id="tenant",
        ttl_seconds=300,
        clock=lambda: NOW,
    )

    # WHEN a customer token is minted
    token = minter.mint(subject="user-7", user_type="CUSTOMER", customer_id="cust-42")

    # THEN it carries iss, aud and the renamed claims, and lives 300 s
    assert _claims(token, audience="alexho-invoice", issuer="https://billing.example.com") == {
        "uid": "user-7",
        "role": "CUSTOMER",
        "tenant": "cust-42",
        "iss": "https://billing.example.com",
        "aud": "alexho-invoice",
        "iat": NOW,
        "exp": NOW + 300,
    }


def test_a_per_token_ttl_overrides_the_minters() -> None:
    # GIVEN a minter with the default ttl
    minter = ConnectTokenMinter(signing_key=KEY, clock=lambda: NOW)

    # WHEN one token asks for 10 s
    token = minter.mint(subject="admin-1", user_type="ADMIN", ttl_seconds=10)

    # THEN it expires 10 s after issue
    assert _claims(token)["exp"] == NOW + 10


@pytest.mark.parametrize("ttl", [0, -5, 3601, 1.5, True])
def test_a_ttl_outside_1_to_3600_seconds_is_refused(ttl: Any) -> None:
    # GIVEN a minter
    minter = ConnectTokenMinter(signing_key=KEY)

    # WHEN a token with that ttl is asked for
    # THEN the error states the bounds
    with pytest.raises(InvalidTokenRequestError, match="1 to 3600"):
        minter.mint(subject="admin-1", user_type="ADMIN", ttl_seconds=ttl)


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"user_type": "CUSTOMER"}, "needs customer_id"),
        ({"user_type": "ADMIN", "customer_id": "cust-42"}, "ADMIN token carries no customer_id"),
        ({"user_type": "customer", "customer_id": "cust-42"}, "ADMIN, CUSTOMER"),
        ({"user_type": "CUSTOMER", "customer_id": ""}, "not a valid identifier"),
        ({"user_type": "CUSTOMER", "customer_id": "cust 42/../x"}, "not a valid identifier"),
        ({"user_type": "CUSTOMER", "customer_id": 42}, "not a valid identifier"),
        ({"user_type": "ADMIN", "subject": ""}, "subject"),
        ({"user_type": "ADMIN", "subject": "s" * 256}, "subject"),
    ],
    ids=[
        "customer without id",
        "admin with id",
        "unknown user type",
        "empty customer id",
        "customer id outside the identifier pattern",
        "customer id not a string",
        "empty subject",
        "overlong subject",
    ],
)
def test_claims_the_authorizer_would_refuse_are_not_minted(
    claims: dict[str, Any], message: str
) -> None:
    # GIVEN a minter
    minter = ConnectTokenMinter(signing_key=KEY)
    request = {"subject": "user-7", **claims}

    # WHEN a token with such claims is asked for
    # THEN a clear error says why
    with pytest.raises(InvalidTokenRequestError, match=message):
        minter.mint(**request)


def test_the_customer_id_error_does_not_echo_the_value() -> None:
    # GIVEN a customer id that is not an identifier
    # WHEN a token is asked for
    with pytest.raises(InvalidTokenRequestError) as caught:
        mint_connect_token(
            subject="u", user_type="CUSTOMER", customer_id="<script>", signing_key=KEY
        )

    # THEN the message states the rule, not the value
    assert "<script>" not in str(caught.value)


@pytest.mark.parametrize(
    "sources",
    [{}, {"signing_key": KEY, "secret_id": SECRET_NAME}],
    ids=["neither", "both"],
)
def test_exactly_one_key_source_is_required(sources: dict[str, Any]) -> None:
    # GIVEN no key source, or two
    # WHEN a minter is made
    # THEN the error says to give exactly one
    with pytest.raises(
        PublisherConfigurationError, match="exactly one of signing_key or secret_id"
    ):
        ConnectTokenMinter(**sources)


def test_a_short_signing_key_is_refused_without_being_echoed() -> None:
    # GIVEN a key shorter than HS256's 32 bytes
    short_key = "too-short-key"

    # WHEN a minter is made with it
    with pytest.raises(PublisherConfigurationError, match="at least 32 bytes") as caught:
        ConnectTokenMinter(signing_key=short_key)

    # THEN the key is not in the message
    assert short_key not in str(caught.value)


@pytest.mark.parametrize(
    "settings",
    [
        {"claim_sub": ""},
        {"claim_user_type": "sub"},
        {"claim_customer_id": "exp"},
        {"issuer": ""},
    ],
)
def test_unusable_claim_settings_are_refused(settings: dict[str, Any]) -> None:
    # GIVEN empty, clashing or reserved claim settings
    # WHEN a minter is made
    # THEN it is refused
    with pytest.raises(PublisherConfigurationError):
        ConnectTokenMinter(signing_key=KEY, **settings)


@pytest.fixture
def secrets() -> Iterator[Any]:
    """moto Secrets Manager with the signing key secret (SecretString = raw key)."""
    with mock_aws():
        client = boto3.client("secretsmanager")
        client.create_secret(Name=SECRET_NAME, SecretString=KEY)
        yield client


@pytest.fixture
def secret_reads(secrets: Any) -> Iterator[list[str]]:
    """The SecretId of every GetSecretValue call made with the test's client."""
    reads: list[str] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        reads.append(params["SecretId"])

    secrets.meta.events.register("provide-client-params.secretsmanager.GetSecretValue", record)
    yield reads
    secrets.meta.events.unregister("provide-client-params.secretsmanager.GetSecretValue", record)


def test_the_key_is_read_from_secrets_manager_once_per_minter(
    secrets: Any, secret_reads: list[str]
) -> None:
    # GIVEN a minter on the signing key secret
    minter = ConnectTokenMinter(secret_id=SECRET_NAME, secrets_client=secrets)

    # WHEN it mints three tokens
    tokens = [minter.mint(subject=f"admin-{i}", user_type="ADMIN") for i in range(3)]

    # THEN each verifies with the secret's key, and Secrets Manager was called once
    assert [_claims(token)["sub"] for token in tokens] == ["admin-0", "admin-1", "admin-2"]
    assert secret_reads == [SECRET_NAME]


def test_a_rotated_key_is_used_once_the_cache_has_expired(secrets: Any) -> None:
    # GIVEN a minter that caches the key for 0 s
    minter = ConnectTokenMinter(
        secret_id=SECRET_NAME, secrets_client=secrets, secret_cache_seconds=0
    )
    minter.mint(subject="admin-1", user_type="ADMIN")

    # WHEN the secret is rotated and another token minted
    rotated = "r" * 40
    secrets.put_secret_value(SecretId=SECRET_NAME, SecretString=rotated)
    token = minter.mint(subject="admin-1", user_type="ADMIN")

    # THEN it is signed with the new key
    assert _claims(token, key=rotated)["sub"] == "admin-1"


def test_the_function_form_reads_the_secret_by_itself(secrets: Any) -> None:
    # GIVEN the secret's ARN and no client (one is made in the ARN's region)
    arn = secrets.describe_secret(SecretId=SECRET_NAME)["ARN"]

    # WHEN a token is minted with it
    token = mint_connect_token(subject="admin-1", user_type="ADMIN", secret_id=arn)

    # THEN it verifies with the secret's key
    assert _claims(token)["userType"] == "ADMIN"


def test_a_missing_secret_gives_the_aws_code(secrets: Any) -> None:
    # GIVEN a minter on a secret that does not exist
    minter = ConnectTokenMinter(secret_id="no-such-secret", secrets_client=secrets)

    # WHEN it mints
    # THEN the error carries Secrets Manager's code
    with pytest.raises(SigningKeyUnavailableError) as caught:
        minter.mint(subject="admin-1", user_type="ADMIN")
    assert caught.value.code == "ResourceNotFoundException"


def test_a_binary_secret_is_refused(secrets: Any) -> None:
    # GIVEN a secret holding binary data instead of the raw key string
    secrets.create_secret(Name="binary-key", SecretBinary=b"\x00" * 48)
    minter = ConnectTokenMinter(secret_id="binary-key", secrets_client=secrets)

    # WHEN it mints
    # THEN the error says a SecretString is expected
    with pytest.raises(SigningKeyUnavailableError, match="SecretString"):
        minter.mint(subject="admin-1", user_type="ADMIN")


def test_without_pyjwt_the_error_names_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN an environment where PyJWT cannot be imported
    monkeypatch.setitem(sys.modules, "jwt", None)

    # WHEN a minter is made
    # THEN the error is an ImportError naming the runtime extra
    with pytest.raises(MissingDependencyError, match=r"alexho-invoice-realtime\[runtime\]") as e:
        ConnectTokenMinter(signing_key=KEY)
    assert isinstance(e.value, ImportError)
