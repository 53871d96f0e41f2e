"""IAM policies a REQUEST authorizer returns to API Gateway."""

from __future__ import annotations

from typing import Any, Final

from alexho_invoice_runtime.auth.identity import Identity
from alexho_invoice_runtime.definitions import TOKEN_EXPIRES_AT, TOKEN_ISSUED_AT

#: ``principalId`` of a denied request (no identity was established).
DENIED_PRINCIPAL: Final = "unauthorized"


def _policy(effect: str, method_arn: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": method_arn}],
    }


def allow(
    method_arn: str, identity: Identity, *, issued_at: int, expires_at: int
) -> dict[str, Any]:
    """Allow ``$connect`` and hand the identity and the token's ``iat``/``exp`` (epoch seconds)
    to the integration as authorizer context."""
    return {
        "principalId": identity.sub,
        "policyDocument": _policy("Allow", method_arn),
        "context": {
            **identity.to_context(),
            TOKEN_ISSUED_AT: issued_at,
            TOKEN_EXPIRES_AT: expires_at,
        },
    }


def deny(method_arn: str) -> dict[str, Any]:
    """Deny ``$connect`` (API Gateway answers 403)."""
    return {"principalId": DENIED_PRINCIPAL, "policyDocument": _policy("Deny", method_arn)}
