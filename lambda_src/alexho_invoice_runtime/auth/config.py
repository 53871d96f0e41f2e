"""Authorizer settings, read from the environment once per container."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from alexho_invoice_runtime import settings
from alexho_invoice_runtime.definitions import (
    AUTH_MODE_HS256,
    AUTH_MODE_JWKS,
    DEFAULT_CLAIM_CUSTOMER_ID,
    DEFAULT_CLAIM_SUB,
    DEFAULT_CLAIM_USER_TYPE,
    DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
    DEFAULT_TOKEN_LEEWAY_SECONDS,
    MAX_TOKEN_LEEWAY_SECONDS,
    MAX_TOKEN_LIFETIME_LIMIT_SECONDS,
    Env,
)

#: Clock skew tolerated on ``exp``, ``nbf`` and ``iat`` unless ``AUTH_LEEWAY_SECONDS`` says
#: otherwise.
LEEWAY_SECONDS: Final = DEFAULT_TOKEN_LEEWAY_SECONDS
#: Algorithms each mode accepts: pinned by configuration, never taken from a token's header.
ALGORITHMS: Final[Mapping[str, tuple[str, ...]]] = {
    AUTH_MODE_HS256: ("HS256",),
    AUTH_MODE_JWKS: ("RS256", "ES256"),
}


class AuthConfigError(RuntimeError):
    """The authorizer is misconfigured (a deployment error: the request fails with 500)."""


def leeway_seconds_from_env(environ: Mapping[str, str] | None = None) -> int:
    """``AUTH_LEEWAY_SECONDS`` (default :data:`LEEWAY_SECONDS`): also how long after its
    token's ``exp`` a connection may still receive events."""
    env = os.environ if environ is None else environ
    return settings.integer(
        Env.AUTH_LEEWAY,
        default=LEEWAY_SECONDS,
        low=0,
        high=MAX_TOKEN_LEEWAY_SECONDS,
        environ=env,
        error=AuthConfigError,
    )


@dataclass(frozen=True)
class AuthConfig:
    """How tokens are verified."""

    mode: str
    secret_id: str | None
    jwks_url: str | None
    issuer: str | None
    audiences: tuple[str, ...]
    claim_sub: str = DEFAULT_CLAIM_SUB
    claim_user_type: str = DEFAULT_CLAIM_USER_TYPE
    claim_customer_id: str = DEFAULT_CLAIM_CUSTOMER_ID
    leeway_seconds: int = LEEWAY_SECONDS
    #: Longest ``exp - iat`` accepted.
    max_token_lifetime_seconds: int = DEFAULT_MAX_TOKEN_LIFETIME_SECONDS
    #: Table of revocations (``None``: tokens are not checked against revocations).
    revocations_table: str | None = None

    @property
    def algorithms(self) -> tuple[str, ...]:
        """The algorithms a token may be signed with in this mode."""
        return ALGORITHMS[self.mode]

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> AuthConfig:
        """Read ``Env.AUTH_*`` variables; raises :class:`AuthConfigError` on a bad combination.

        ``AUTH_AUDIENCE`` may list several audiences separated by commas;
        ``REVOCATIONS_TABLE_NAME`` is required (every deployment has the table).
        """
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        mode = (get(Env.AUTH_MODE) or AUTH_MODE_HS256).upper()
        if mode not in ALGORITHMS:
            raise AuthConfigError(f"{Env.AUTH_MODE} must be {AUTH_MODE_HS256} or {AUTH_MODE_JWKS}")
        audiences = tuple(a.strip() for a in (get(Env.AUTH_AUDIENCE) or "").split(",") if a.strip())
        config = cls(
            mode=mode,
            secret_id=get(Env.AUTH_SECRET_ID),
            jwks_url=get(Env.AUTH_JWKS_URL),
            issuer=get(Env.AUTH_ISSUER),
            audiences=audiences,
            claim_sub=get(Env.CLAIM_SUB) or DEFAULT_CLAIM_SUB,
            claim_user_type=get(Env.CLAIM_USER_TYPE) or DEFAULT_CLAIM_USER_TYPE,
            claim_customer_id=get(Env.CLAIM_CUSTOMER_ID) or DEFAULT_CLAIM_CUSTOMER_ID,
            leeway_seconds=leeway_seconds_from_env(env),
            max_token_lifetime_seconds=settings.integer(
                Env.AUTH_MAX_TOKEN_LIFETIME,
                default=DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
                low=1,
                high=MAX_TOKEN_LIFETIME_LIMIT_SECONDS,
                environ=env,
                error=AuthConfigError,
            ),
            revocations_table=get(Env.REVOCATIONS_TABLE),
        )
        if not config.revocations_table:
            raise AuthConfigError(f"{Env.REVOCATIONS_TABLE} is required")
        if mode == AUTH_MODE_HS256 and not config.secret_id:
            raise AuthConfigError(f"{Env.AUTH_SECRET_ID} is required in {AUTH_MODE_HS256} mode")
        if mode == AUTH_MODE_JWKS:
            missing = [
                name
                for name, value in (
                    (Env.AUTH_JWKS_URL, config.jwks_url),
                    (Env.AUTH_ISSUER, config.issuer),
                    (Env.AUTH_AUDIENCE, config.audiences),
                )
                if not value
            ]
            if missing:
                raise AuthConfigError(f"{', '.join(missing)} required in {AUTH_MODE_JWKS} mode")
        return config
