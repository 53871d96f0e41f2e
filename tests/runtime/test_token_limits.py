"""The authorizer's token limits: a maximum lifetime with ``iat`` required, numeric times only,
malformed identity claims denied (never a 500), and revoked identities refused."""

from __future__ import annotations

import time
from typing import Any

import pytest

from alexho_invoice_runtime.auth import verifier
from alexho_invoice_runtime.definitions import Env
from alexho_invoice_runtime.revocations import customer_key, revocation_item, subject_key
from tests.runtime.conftest import AwsTables, LogCapture
from tests.runtime.events import authorizer_event, token_query
from tests.runtime.token_factory import claims, hs256

pytestmark = pytest.mark.usefixtures("hs256_auth")


def authorize(token: str) -> dict[str, Any]:
    from alexho_invoice_runtime.handlers.authorizer import handler

    response: dict[str, Any] = handler(authorizer_event(query=token_query(token)), None)
    return response


def effect(response: dict[str, Any]) -> str:
    return str(response["policyDocument"]["Statement"][0]["Effect"])


def test_a_token_living_longer_than_the_maximum_is_denied() -> None:
    # GIVEN a token whose exp is ten years after its iat
    token = hs256(claims("CUSTOMER", "cust-42", lifetime=10 * 365 * 24 * 3600))
    # WHEN the authorizer runs / THEN it denies it
    assert effect(authorize(token)) == "Deny"


def test_a_token_of_exactly_the_maximum_lifetime_is_allowed() -> None:
    assert effect(authorize(hs256(claims("CUSTOMER", "cust-42", lifetime=3600)))) == "Allow"


def test_the_maximum_lifetime_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a deployment with a 5-minute maximum
    monkeypatch.setenv(Env.AUTH_MAX_TOKEN_LIFETIME, "300")
    verifier.reset()
    # THEN a 10-minute token is denied and a 5-minute one allowed
    assert effect(authorize(hs256(claims("ADMIN", None, lifetime=600)))) == "Deny"
    assert effect(authorize(hs256(claims("ADMIN", None, lifetime=300)))) == "Allow"


def test_a_token_without_iat_is_denied() -> None:
    payload = claims("ADMIN", None)
    del payload["iat"]
    assert effect(authorize(hs256(payload))) == "Deny"


@pytest.mark.parametrize("claim", ["exp", "iat"])
def test_a_time_given_as_a_string_is_denied(claim: str, captured_logs: LogCapture) -> None:
    # GIVEN a validly signed token whose exp (or iat) is a numeric string
    payload = claims("ADMIN", None)
    payload[claim] = str(payload[claim])
    # WHEN the authorizer runs / THEN it denies it, saying why
    assert effect(authorize(hs256(payload))) == "Deny"
    assert f"claim {claim} is not a number" in captured_logs.text


@pytest.mark.parametrize("user_type", [["ADMIN"], {"ADMIN": True}], ids=["list", "object"])
def test_a_user_type_that_is_not_a_string_is_denied(
    user_type: object, captured_logs: LogCapture
) -> None:
    # GIVEN a validly signed token whose userType is a list or an object
    token = hs256(claims(user_type, None))  # type: ignore[arg-type]
    # WHEN the authorizer runs
    response = authorize(token)
    # THEN it is a Deny (403) with a log line, not an exception (500)
    assert effect(response) == "Deny"
    assert "user type missing or not ADMIN/CUSTOMER" in captured_logs.text


def test_tokens_of_a_revoked_customer_issued_before_the_revocation_are_denied(
    aws: AwsTables,
) -> None:
    # GIVEN a customer revoked now
    now = int(time.time())
    aws.revocations.put_item(Item=revocation_item(customer_key("cust-42"), now))
    # THEN its token issued a minute ago is denied, another customer's is not
    before = claims("CUSTOMER", "cust-42", iat=now - 60, exp=now + 60)
    assert effect(authorize(hs256(before))) == "Deny"
    assert effect(authorize(hs256(claims("CUSTOMER", "cust-43")))) == "Allow"
    # AND a token issued after the revocation is allowed
    after = claims("CUSTOMER", "cust-42", iat=now + 1, exp=now + 60)
    assert effect(authorize(hs256(after))) == "Allow"


def test_a_revoked_subject_is_denied_whatever_its_user_type(aws: AwsTables) -> None:
    # Revoked a few seconds ahead: the token minted below, in a later second maybe, is still
    # issued "at or before" the revocation.
    revoked_at = int(time.time()) + 5
    aws.revocations.put_item(Item=revocation_item(subject_key("admin-9"), revoked_at))
    assert effect(authorize(hs256(claims("ADMIN", None, sub="admin-9")))) == "Deny"
    assert effect(authorize(hs256(claims("ADMIN", None, sub="admin-10")))) == "Allow"
