"""The authorizer in HS256 mode: the signing key from (moto) Secrets Manager, every kind of bad
token denied, a missing token unauthorized, and the identity handed on in the context."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import boto3
import jwt
import pytest

from alexho_invoice_runtime.auth import verifier
from alexho_invoice_runtime.auth.config import AuthConfigError
from alexho_invoice_runtime.definitions import Env
from alexho_invoice_runtime.handlers.authorizer import handler
from tests.runtime.conftest import AwsTables
from tests.runtime.events import (
    CONNECT_METHOD_ARN,
    authorizer_event,
    browser_protocol_header,
    token_query,
)
from tests.runtime.token_factory import (
    AUDIENCE,
    ISSUER,
    OTHER_SECRET,
    claims,
    hs256,
    tamper_signature,
    unsigned,
)


def authorize(token: str) -> dict[str, Any]:
    return handler(authorizer_event(protocol_header=browser_protocol_header(token)), None)


def effect(response: dict[str, Any]) -> str:
    statement = response["policyDocument"]["Statement"][0]
    assert statement["Resource"] == CONNECT_METHOD_ARN
    assert statement["Action"] == "execute-api:Invoke"
    return str(statement["Effect"])


@pytest.mark.usefixtures("hs256_auth")
def test_customer_token_is_allowed_with_its_identity_in_the_context() -> None:
    # GIVEN a valid customer token
    token = hs256(claims("CUSTOMER", "cust-42", sub="portal-user-7"))
    # WHEN the authorizer runs
    response = authorize(token)
    # THEN it allows $connect, principal = sub, and the context carries the identity
    assert effect(response) == "Allow"
    assert response["principalId"] == "portal-user-7"
    payload = jwt.decode(token, options={"verify_signature": False})
    assert response["context"] == {
        "sub": "portal-user-7",
        "userType": "CUSTOMER",
        "customerId": "cust-42",
        "audience": "CUSTOMER#cust-42",
        "tokenIssuedAt": payload["iat"],
        "tokenExpiresAt": payload["exp"],
    }


@pytest.mark.usefixtures("hs256_auth")
def test_admin_token_is_allowed_with_the_admin_audience_and_no_customer() -> None:
    # GIVEN an admin token that also carries a customerId claim
    token = hs256(claims("ADMIN", "cust-1", sub="admin-1"))
    # WHEN the authorizer runs
    response = authorize(token)
    # THEN the connection is an admin one, with an empty customerId
    assert effect(response) == "Allow"
    assert {key: response["context"][key] for key in ("sub", "userType", "customerId")} == {
        "sub": "admin-1",
        "userType": "ADMIN",
        "customerId": "",
    }
    assert response["context"]["audience"] == "ADMIN"


@pytest.mark.usefixtures("hs256_auth")
def test_token_in_the_query_parameter_is_accepted() -> None:
    token = hs256(claims("ADMIN", None))
    response = handler(authorizer_event(query=token_query(token)), None)
    assert effect(response) == "Allow"


@pytest.mark.usefixtures("hs256_auth")
def test_expired_token_within_the_leeway_is_still_allowed() -> None:
    # GIVEN a token that expired 10 s ago (clock skew), within the 30 s leeway
    token = hs256(claims("ADMIN", None, lifetime=-10))
    # WHEN / THEN it is accepted
    assert effect(authorize(token)) == "Allow"


@pytest.mark.usefixtures("hs256_auth")
@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda: "not-a-jwt", id="garbage"),
        pytest.param(lambda: "a.b.c", id="three-garbage-parts"),
        pytest.param(lambda: tamper_signature(hs256(claims())), id="bad-signature"),
        pytest.param(lambda: hs256(claims(), secret=OTHER_SECRET), id="wrong-key"),
        pytest.param(lambda: unsigned(claims("ADMIN", None)), id="alg-none"),
        pytest.param(lambda: hs256(claims(lifetime=-120)), id="expired"),
        pytest.param(lambda: hs256(claims(nbf=int(time.time()) + 300)), id="nbf-future"),
        pytest.param(lambda: hs256({k: v for k, v in claims().items() if k != "exp"}), id="no-exp"),
        pytest.param(lambda: hs256(claims(user_type=None)), id="missing-userType"),
        pytest.param(lambda: hs256(claims(user_type="SUPERUSER")), id="bad-userType"),
        pytest.param(lambda: hs256(claims(user_type="admin")), id="lowercase-userType"),
        pytest.param(lambda: hs256(claims("CUSTOMER", None)), id="customer-without-customerId"),
        pytest.param(lambda: hs256(claims("CUSTOMER", "")), id="customer-empty-customerId"),
        pytest.param(lambda: hs256(claims("CUSTOMER", "cust/42")), id="customerId-bad-chars"),
        pytest.param(lambda: hs256(claims("CUSTOMER", "cust#42")), id="customerId-hash"),
        pytest.param(lambda: hs256(claims("CUSTOMER", "cust-42\n")), id="customerId-newline"),
        pytest.param(lambda: hs256(claims("CUSTOMER", 42)), id="customerId-number"),
        pytest.param(lambda: hs256(claims(sub=None)), id="missing-sub"),
        pytest.param(lambda: hs256(claims(sub="")), id="empty-sub"),
        pytest.param(lambda: "x" * 9000, id="oversized"),
    ],
)
def test_bad_token_is_denied(make_token: Callable[[], str]) -> None:
    # GIVEN a token that is wrong in one way
    token = make_token()
    # WHEN the authorizer runs
    response = authorize(token)
    # THEN it denies, and hands on no identity
    assert effect(response) == "Deny"
    assert "context" not in response


@pytest.mark.usefixtures("hs256_auth")
@pytest.mark.parametrize(
    "event",
    [
        pytest.param(authorizer_event(), id="nothing"),
        pytest.param(authorizer_event(protocol_header="alexho-invoice.v1"), id="only-subprotocol"),
        pytest.param(authorizer_event(query={"token": ""}), id="empty-query-token"),
    ],
)
def test_missing_token_is_unauthorized(event: dict[str, Any]) -> None:
    # WHEN the authorizer gets no token THEN it fails with "Unauthorized" (API Gateway: 401)
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        handler(event, None)


@pytest.mark.usefixtures("hs256_auth")
def test_two_tokens_are_denied() -> None:
    first, second = hs256(claims("ADMIN", None)), hs256(claims("CUSTOMER", "c-1"))
    event = authorizer_event(protocol_header=f"alexho-invoice.v1, {first}, {second}")
    assert effect(handler(event, None)) == "Deny"


class TestIssuerAndAudienceWhenConfigured:
    @pytest.fixture(autouse=True)
    def _configure(self, hs256_auth: str, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv(Env.AUTH_ISSUER, ISSUER)
        monkeypatch.setenv(Env.AUTH_AUDIENCE, f"other-app, {AUDIENCE}")
        verifier.reset()

    def test_matching_issuer_and_one_of_the_audiences_is_allowed(self) -> None:
        token = hs256(claims(iss=ISSUER, aud=AUDIENCE))
        assert effect(authorize(token)) == "Allow"

    @pytest.mark.parametrize(
        "extra",
        [
            pytest.param({"iss": "https://evil.example/", "aud": AUDIENCE}, id="wrong-issuer"),
            pytest.param({"iss": ISSUER, "aud": "someone-else"}, id="wrong-audience"),
            pytest.param({"aud": AUDIENCE}, id="missing-issuer"),
            pytest.param({"iss": ISSUER}, id="missing-audience"),
        ],
    )
    def test_issuer_or_audience_mismatch_is_denied(self, extra: dict[str, str]) -> None:
        assert effect(authorize(hs256({**claims(), **extra}))) == "Deny"


def test_signing_key_is_fetched_once_per_container(hs256_auth: str, aws: AwsTables) -> None:
    # GIVEN an authorizer that has verified one token
    assert effect(authorize(hs256(claims()))) == "Allow"
    # WHEN the secret disappears from Secrets Manager
    boto3.client("secretsmanager").delete_secret(
        SecretId=hs256_auth, ForceDeleteWithoutRecovery=True
    )
    # THEN the cached key keeps verifying tokens (no call per invocation)
    assert effect(authorize(hs256(claims()))) == "Allow"


def test_short_signing_secret_is_a_configuration_error(hs256_auth: str, aws: AwsTables) -> None:
    # GIVEN a signing secret shorter than 256 bits
    boto3.client("secretsmanager").put_secret_value(SecretId=hs256_auth, SecretString="short")
    verifier.reset()
    # WHEN / THEN the authorizer fails loudly (500) instead of accepting weak tokens
    with pytest.raises(AuthConfigError, match="shorter than 32 bytes"):
        authorize(hs256(claims()))


def test_missing_secret_setting_is_a_configuration_error(
    hs256_auth: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(Env.AUTH_SECRET_ID)
    verifier.reset()
    with pytest.raises(AuthConfigError, match=Env.AUTH_SECRET_ID):
        authorize(hs256(claims()))
