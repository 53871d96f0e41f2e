"""The identity the check connects with: a token minted from the stack's signing secret (HS256),
or one passed with ``--token`` (JWKS). The token itself is never printed or logged.

A minted token is a ``CUSTOMER`` token of a customer id made up for this run
(``alexho-check-<random>``): the check's connection then is the only one of its audience, so
the check finds its own connection id with one ``Query`` and receives no real invoice event.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any, Final

from alexho_invoice_ops.target import CheckTarget
from alexho_invoice_runtime.contract import customer_audience
from alexho_invoice_runtime.definitions import (
    ADMIN,
    ADMIN_AUDIENCE,
    CUSTOMER,
    DEFAULT_CLAIM_CUSTOMER_ID,
    DEFAULT_CLAIM_USER_TYPE,
)

CHECK_SUBJECT: Final = "alexho-realtime-check"
CHECK_CUSTOMER_PREFIX: Final = "alexho-check-"
TOKEN_TTL_SECONDS: Final = 300


class TokenUnavailableError(Exception):
    """No token could be minted (no secret, or no permission to read it)."""


@dataclass(frozen=True)
class CheckIdentity:
    """A connect token and what the check knows of its claims."""

    token: str = field(repr=False)
    user_type: str | None
    customer_id: str | None
    minted: bool

    @property
    def audience(self) -> str | None:
        """The audience the connection gets, when the claims say it."""
        if self.user_type == CUSTOMER and self.customer_id:
            return customer_audience(self.customer_id)
        if self.user_type == ADMIN:
            return ADMIN_AUDIENCE
        return None


def minted_identity(target: CheckTarget) -> CheckIdentity:
    """A short-lived ``CUSTOMER`` token of a made-up customer, signed with the stack's key."""
    if target.secret_arn is None:
        raise TokenUnavailableError(
            f"auth mode {target.auth_mode} has no signing secret: pass --token"
        )
    from alexho_invoice_publisher import ConnectTokenMinter, PublisherError

    customer_id = f"{CHECK_CUSTOMER_PREFIX}{secrets.token_hex(6)}"
    try:
        minter = ConnectTokenMinter(
            secret_id=target.secret_arn,
            secrets_client=target.client("secretsmanager"),
            ttl_seconds=TOKEN_TTL_SECONDS,
        )
        token = minter.mint(subject=CHECK_SUBJECT, user_type=CUSTOMER, customer_id=customer_id)
    except PublisherError as error:
        raise TokenUnavailableError(str(error)) from None
    return CheckIdentity(token=token, user_type=CUSTOMER, customer_id=customer_id, minted=True)


def given_identity(token: str) -> CheckIdentity:
    """``--token``: its claims are read (not verified: the authorizer does that) with the
    default claim names, to know which audience the connection gets."""
    claims = _unverified_claims(token)
    user_type = claims.get(DEFAULT_CLAIM_USER_TYPE)
    customer_id = claims.get(DEFAULT_CLAIM_CUSTOMER_ID)
    return CheckIdentity(
        token=token,
        user_type=user_type if isinstance(user_type, str) else None,
        customer_id=customer_id if isinstance(customer_id, str) else None,
        minted=False,
    )


def _unverified_claims(token: str) -> dict[str, Any]:
    import jwt

    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims if isinstance(claims, dict) else {}
