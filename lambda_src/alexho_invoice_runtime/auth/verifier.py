"""JWT verification with PyJWT (docs/architecture.md §3).

The accepted algorithms come from the configured mode only (HS256, or RS256/ES256 with a JWKS),
never from the token's header, so ``alg: none`` and algorithm confusion are rejected.
``exp`` and ``iat`` are required and must be numbers (a string ``exp`` is refused), and
``exp - iat`` may not exceed the configured maximum lifetime; ``exp``/``nbf``/``iat`` get the
configured leeway; issuer and audience are checked when configured (always in JWKS mode).
A token whose identity was revoked at or after its ``iat`` is refused
(:mod:`alexho_invoice_runtime.revocations`).
Rejections carry a reason that names the rule broken, never the token or a claim value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

import jwt

from alexho_invoice_runtime.auth.config import AuthConfig
from alexho_invoice_runtime.auth.identity import Identity, InvalidIdentityError
from alexho_invoice_runtime.auth.keys import JwksKeys, SecretKey
from alexho_invoice_runtime.aws import clients
from alexho_invoice_runtime.definitions import AUTH_MODE_HS256
from alexho_invoice_runtime.revocations import (
    RevocationLookup,
    RevocationReader,
    is_revoked,
    keys_for,
)

#: Longer tokens are refused before any parsing.
MAX_TOKEN_LENGTH: Final = 8192


class InvalidTokenError(ValueError):
    """A token that does not verify. ``reason`` is safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class VerifiedToken:
    """A token that verified: whose it is, and when it was issued and expires (epoch s)."""

    identity: Identity
    issued_at: int
    expires_at: int


def _numeric_date(claims: Mapping[str, Any], name: str) -> int:
    value = claims.get(name)
    # PyJWT accepts anything int() accepts (a string "9999999999" too): require a JSON number.
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise InvalidTokenError(f"claim {name} is not a number")
    return int(value)


class TokenVerifier:
    """Verifies tokens against one :class:`AuthConfig` and turns their claims into an
    :class:`Identity`; with ``revocations``, refuses the tokens of revoked identities."""

    def __init__(
        self,
        config: AuthConfig,
        key_for: Callable[[str], Any],
        revocations: RevocationReader | None = None,
    ) -> None:
        self._config = config
        self._key_for = key_for
        self._revocations = revocations

    @property
    def config(self) -> AuthConfig:
        """The settings this verifier applies."""
        return self._config

    def verify(self, token: str) -> Identity:
        """The identity of a valid ``token`` (see :meth:`verify_token`)."""
        return self.verify_token(token).identity

    def verify_token(self, token: str) -> VerifiedToken:
        """The identity and times of a valid ``token``; raises :class:`InvalidTokenError`
        otherwise (and :class:`~alexho_invoice_runtime.auth.keys.KeySourceUnavailableError`
        when no key can be had; a failed revocation read propagates as it is)."""
        config = self._config
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidTokenError("token too long")
        try:
            claims = jwt.decode(
                token,
                self._key_for(token),
                algorithms=list(config.algorithms),
                audience=list(config.audiences) or None,
                issuer=config.issuer,
                leeway=config.leeway_seconds,
                options={"require": ["exp", "iat"], "verify_aud": bool(config.audiences)},
            )
        except jwt.PyJWTError as error:
            raise InvalidTokenError(_reason(error)) from None
        expires_at = _numeric_date(claims, "exp")
        issued_at = _numeric_date(claims, "iat")
        if expires_at - issued_at > config.max_token_lifetime_seconds:
            raise InvalidTokenError(
                f"token lifetime exceeds {config.max_token_lifetime_seconds} seconds"
            )
        try:
            identity = Identity.from_claims(
                claims,
                sub=config.claim_sub,
                user_type=config.claim_user_type,
                customer_id=config.claim_customer_id,
            )
        except InvalidIdentityError as error:
            raise InvalidTokenError(str(error)) from None
        if self._revocations is not None:
            keys = keys_for(identity.sub, identity.user_type, identity.customer_id)
            if is_revoked(issued_at, keys, self._revocations(keys)):
                raise InvalidTokenError("token revoked")
        return VerifiedToken(identity, issued_at, expires_at)


def _reason(error: jwt.PyJWTError) -> str:
    """A log-safe reason: PyJWT's messages may quote token parts (a ``kid``, a header)."""
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"missing required claim {error.claim}"
    return {
        jwt.ExpiredSignatureError: "token expired",
        jwt.ImmatureSignatureError: "token not yet valid",
        jwt.InvalidIssuedAtError: "malformed iat",
        jwt.InvalidIssuerError: "wrong issuer",
        jwt.InvalidAudienceError: "wrong audience",
        jwt.InvalidSignatureError: "bad signature",
        jwt.InvalidAlgorithmError: "algorithm not allowed",
        jwt.PyJWKClientError: "no key for the token's kid",
    }.get(type(error), f"malformed token ({type(error).__name__})")


def build_verifier(config: AuthConfig) -> TokenVerifier:
    """A verifier with the key source the mode needs and the configured revocations table
    (nothing is fetched yet)."""
    revocations: RevocationReader | None = None
    if config.revocations_table:
        revocations = RevocationLookup(clients.table(config.revocations_table)).revoked_at
    if config.mode == AUTH_MODE_HS256:
        assert config.secret_id is not None
        secret = SecretKey(config.secret_id)
        return TokenVerifier(config, lambda _token: secret.get(), revocations)
    assert config.jwks_url is not None
    return TokenVerifier(config, JwksKeys(config.jwks_url).for_token, revocations)


@cache
def default_verifier() -> TokenVerifier:
    """The container's verifier, configured from the environment on first use."""
    return build_verifier(AuthConfig.from_environ())


def reset() -> None:
    """Forget the cached verifier, its key and its settings (tests)."""
    default_verifier.cache_clear()
