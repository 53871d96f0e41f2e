"""The authorizer in JWKS mode: RS256 and ES256 tokens verified against keys served by a
loopback JWKS endpoint; algorithm confusion, unknown keys and foreign issuers rejected."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from alexho_invoice_runtime.auth import verifier
from alexho_invoice_runtime.auth.config import AuthConfigError
from alexho_invoice_runtime.auth.keys import KeySourceUnavailableError
from alexho_invoice_runtime.definitions import AUTH_MODE_JWKS, Env
from alexho_invoice_runtime.handlers.authorizer import handler
from tests.runtime.conftest import AwsTables
from tests.runtime.events import authorizer_event, browser_protocol_header
from tests.runtime.token_factory import (
    AUDIENCE,
    HS256_SECRET,
    ISSUER,
    JwksEndpoint,
    JwksServer,
    SigningKey,
    claims,
    ec_key,
    hmac_signed_with,
    hs256,
    rsa_key,
    unsigned,
)


@pytest.fixture(scope="module")
def rsa() -> SigningKey:
    return rsa_key("rsa-1")


@pytest.fixture(scope="module")
def ec() -> SigningKey:
    return ec_key("ec-1")


@pytest.fixture
def jwks(
    rsa: SigningKey, ec: SigningKey, aws: AwsTables, monkeypatch: pytest.MonkeyPatch
) -> Iterator[JwksEndpoint]:
    """A JWKS endpoint with both public keys, and the authorizer configured for it (revocations
    in the moto table of ``aws``)."""
    with JwksServer([rsa.jwk, ec.jwk]) as endpoint:
        monkeypatch.setenv(Env.AUTH_MODE, AUTH_MODE_JWKS)
        monkeypatch.setenv(Env.AUTH_JWKS_URL, endpoint.url)
        monkeypatch.setenv(Env.AUTH_ISSUER, ISSUER)
        monkeypatch.setenv(Env.AUTH_AUDIENCE, AUDIENCE)
        monkeypatch.delenv(Env.AUTH_SECRET_ID, raising=False)
        verifier.reset()
        yield endpoint
    verifier.reset()


def oidc_claims(*, iss: str = ISSUER, aud: str = AUDIENCE, lifetime: int = 300) -> dict[str, Any]:
    return claims("CUSTOMER", "cust-42", iss=iss, aud=aud, lifetime=lifetime)


def authorize(token: str) -> dict[str, Any]:
    return handler(authorizer_event(protocol_header=browser_protocol_header(token)), None)


def effect(response: dict[str, Any]) -> str:
    return str(response["policyDocument"]["Statement"][0]["Effect"])


@pytest.mark.usefixtures("jwks")
@pytest.mark.parametrize("key_name", ["rsa", "ec"])
def test_token_signed_by_a_published_key_is_allowed(
    key_name: str, request: pytest.FixtureRequest
) -> None:
    # GIVEN a token signed with the issuer's RS256 or ES256 key
    key: SigningKey = request.getfixturevalue(key_name)
    # WHEN the authorizer runs
    response = authorize(key.sign(oidc_claims()))
    # THEN it allows with the customer's audience
    assert effect(response) == "Allow"
    assert response["context"]["audience"] == "CUSTOMER#cust-42"


def test_keys_are_cached_between_invocations(jwks: JwksEndpoint, rsa: SigningKey) -> None:
    # GIVEN an authorizer that has verified tokens before
    for _ in range(3):
        assert effect(authorize(rsa.sign(oidc_claims()))) == "Allow"
    # THEN the JWKS was fetched once
    assert jwks.fetches == 1


@pytest.mark.usefixtures("jwks")
def test_hs256_token_signed_with_the_rsa_public_key_is_denied(rsa: SigningKey) -> None:
    # GIVEN the classic algorithm-confusion token: HS256 with the public PEM as HMAC secret
    token = hmac_signed_with(oidc_claims(), rsa.public_pem(), kid=rsa.kid)
    # WHEN / THEN it is denied (only RS256/ES256 are accepted in JWKS mode)
    assert effect(authorize(token)) == "Deny"


@pytest.mark.usefixtures("jwks")
def test_hs256_token_with_any_secret_is_denied_in_jwks_mode(rsa: SigningKey) -> None:
    token = hs256(oidc_claims(), secret=HS256_SECRET)
    assert effect(authorize(token)) == "Deny"


@pytest.mark.usefixtures("jwks")
def test_alg_none_is_denied() -> None:
    assert effect(authorize(unsigned(oidc_claims()))) == "Deny"


@pytest.mark.usefixtures("jwks")
def test_token_claiming_the_ec_kid_but_signed_rs256_is_denied(
    rsa: SigningKey, ec: SigningKey
) -> None:
    # GIVEN an RS256 token whose header names the EC key
    token = rsa.sign(oidc_claims(), kid=ec.kid)
    # WHEN / THEN the key's own algorithm wins over the header: denied
    assert effect(authorize(token)) == "Deny"


@pytest.mark.usefixtures("jwks")
def test_token_from_an_unpublished_key_is_denied() -> None:
    # GIVEN a token signed by a key the issuer does not publish
    stranger = rsa_key("stranger")
    assert effect(authorize(stranger.sign(oidc_claims()))) == "Deny"


@pytest.mark.usefixtures("jwks")
def test_token_signed_by_another_key_under_a_published_kid_is_denied(rsa: SigningKey) -> None:
    impostor = rsa_key(rsa.kid)
    assert effect(authorize(impostor.sign(oidc_claims()))) == "Deny"


@pytest.mark.usefixtures("jwks")
@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(oidc_claims(iss="https://evil.example/"), id="wrong-issuer"),
        pytest.param(oidc_claims(aud="another-app"), id="wrong-audience"),
        pytest.param(claims("CUSTOMER", "cust-42", aud=AUDIENCE), id="missing-issuer"),
        pytest.param(claims("CUSTOMER", "cust-42", iss=ISSUER), id="missing-audience"),
        pytest.param(oidc_claims(lifetime=-120), id="expired"),
        pytest.param(claims("ROOT", None, iss=ISSUER, aud=AUDIENCE), id="bad-userType"),
    ],
)
def test_valid_signature_with_wrong_claims_is_denied(
    payload: dict[str, Any], ec: SigningKey
) -> None:
    assert effect(authorize(ec.sign(payload))) == "Deny"


@pytest.mark.usefixtures("jwks")
@pytest.mark.parametrize("missing", [Env.AUTH_ISSUER, Env.AUTH_AUDIENCE, Env.AUTH_JWKS_URL])
def test_jwks_mode_requires_issuer_audience_and_url(
    missing: str, monkeypatch: pytest.MonkeyPatch, rsa: SigningKey
) -> None:
    monkeypatch.delenv(missing)
    verifier.reset()
    with pytest.raises(AuthConfigError, match=missing):
        authorize(rsa.sign(oidc_claims()))


def test_unreachable_jwks_endpoint_fails_the_request(
    monkeypatch: pytest.MonkeyPatch, rsa: SigningKey
) -> None:
    # GIVEN a JWKS URL where nothing listens
    with JwksServer([]) as endpoint:
        url = endpoint.url
    monkeypatch.setenv(Env.REVOCATIONS_TABLE, "not-read-before-the-key")
    monkeypatch.setenv(Env.AUTH_MODE, AUTH_MODE_JWKS)
    monkeypatch.setenv(Env.AUTH_JWKS_URL, url)
    monkeypatch.setenv(Env.AUTH_ISSUER, ISSUER)
    monkeypatch.setenv(Env.AUTH_AUDIENCE, AUDIENCE)
    verifier.reset()
    # WHEN / THEN the authorizer raises (a 500 the alarms see), not a silent Deny
    with pytest.raises(KeySourceUnavailableError):
        authorize(rsa.sign(oidc_claims()))
    verifier.reset()
