"""JWT verification with PyJWT (DESIGN §3).

The accepted algorithms come from the configured mode only (HS256, or RS256/ES256 with a JWKS),
never from the token's header, so ``alg: none`` and algorithm confusion are rejected.
``exp`` is required; ``exp``/``nbf`` get
:data:`~alexho_invoice_runtime.auth.config.LEEWAY_SECONDS` of leeway; issuer and audience are
checked when configured (always in JWKS mode).
Rejections carry a reason that names the rule broken, never the token or a claim value.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, Final

import jwt

from alexho_invoice_runtime.auth.config import AuthConfig
from alexho_invoice_runtime.auth.identity import Identity, InvalidIdentityError
from alexho_invoice_runtime.auth.keys import JwksKeys, SecretKey
from alexho_invoice_runtime.definitions import AUTH_MODE_HS256

#: Longer tokens are refused before any parsing.
MAX_TOKEN_LENGTH: Final = 8192


class InvalidTokenError(ValueError):
    """A token that does not verify. ``reason`` is safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TokenVerifier:
    """Verifies tokens against one :class:`AuthConfig` and turns their claims into an
    :class:`Identity`."""

    def __init__(self, config: AuthConfig, key_for: Callable[[str], Any]) -> None:
        self._config = config
        self._key_for = key_for

    @property
    def config(self) -> AuthConfig:
        """The settings this verifier applies."""
        return self._config

    def verify(self, token: str) -> Identity:
        """The identity of a valid ``token``; raises :class:`InvalidTokenError` otherwise (and
        :class:`~alexho_invoice_runtime.auth.keys.KeySourceUnavailableError` when no key can be
        had)."""
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
                options={"require": ["exp"], "verify_aud": bool(config.audiences)},
            )
        except jwt.PyJWTError as error:
            raise InvalidTokenError(_reason(error)) from None
        try:
            return Identity.from_claims(
                claims,
                sub=config.claim_sub,
                user_type=config.claim_user_type,
                customer_id=config.claim_customer_id,
            )
        except InvalidIdentityError as error:
            raise InvalidTokenError(str(error)) from None


def _reason(error: jwt.PyJWTError) -> str:
    """A log-safe reason: PyJWT's messages may quote token parts (a ``kid``, a header)."""
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"missing required claim {error.claim}"
    return {
        jwt.ExpiredSignatureError: "token expired",
        jwt.ImmatureSignatureError: "token not yet valid",
        jwt.InvalidIssuerError: "wrong issuer",
        jwt.InvalidAudienceError: "wrong audience",
        jwt.InvalidSignatureError: "bad signature",
        jwt.InvalidAlgorithmError: "algorithm not allowed",
        jwt.PyJWKClientError: "no key for the token's kid",
    }.get(type(error), f"malformed token ({type(error).__name__})")


def build_verifier(config: AuthConfig) -> TokenVerifier:
    """A verifier with the key source the mode needs (nothing is fetched yet)."""
    if config.mode == AUTH_MODE_HS256:
        assert config.secret_id is not None
        secret = SecretKey(config.secret_id)
        return TokenVerifier(config, lambda _token: secret.get())
    assert config.jwks_url is not None
    return TokenVerifier(config, JwksKeys(config.jwks_url).for_token)


@cache
def default_verifier() -> TokenVerifier:
    """The container's verifier, configured from the environment on first use."""
    return build_verifier(AuthConfig.from_environ())


def reset() -> None:
    """Forget the cached verifier, its key and its settings (tests)."""
    default_verifier.cache_clear()
