"""Verification keys, fetched lazily and cached per container.

HS256: the Secrets Manager secret's ``SecretString`` is the raw signing key; it is fetched on
first use and kept for :data:`SECRET_MAX_AGE_SECONDS` (so a rotation is picked up without a
redeploy). JWKS: :class:`jwt.PyJWKClient` caches the key set and each key by ``kid``, and
refreshes for an unknown ``kid`` at most once per cooldown period.
"""

from __future__ import annotations

import time
from typing import Final

import jwt

from alexho_invoice_runtime.auth.config import AuthConfigError
from alexho_invoice_runtime.aws import clients
from alexho_invoice_runtime.aws.errors import AwsError

SECRET_MAX_AGE_SECONDS: Final = 15 * 60
#: RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
MIN_SECRET_BYTES: Final = 32
JWKS_LIFESPAN_SECONDS: Final = 5 * 60
JWKS_TIMEOUT_SECONDS: Final = 3.0


class KeySourceUnavailableError(RuntimeError):
    """The key could not be fetched (Secrets Manager or the JWKS endpoint failed)."""


class SecretKey:
    """The HS256 signing key held in Secrets Manager, cached for a while."""

    def __init__(self, secret_id: str, max_age_seconds: float = SECRET_MAX_AGE_SECONDS) -> None:
        self._secret_id = secret_id
        self._max_age = max_age_seconds
        self._key: bytes | None = None
        self._fetched_at = 0.0

    def get(self) -> bytes:
        """The key, fetched on first use and again once it is older than the maximum age."""
        now = time.monotonic()
        if self._key is None or now - self._fetched_at > self._max_age:
            self._key = self._fetch()
            self._fetched_at = now
        return self._key

    def _fetch(self) -> bytes:
        try:
            secret = clients.secrets().secret_string(self._secret_id)
        except AwsError as error:
            raise KeySourceUnavailableError(
                f"cannot read the signing secret ({error.code})"
            ) from None
        if not isinstance(secret, str):
            raise AuthConfigError("the signing secret has no SecretString")
        key = secret.encode()
        if len(key) < MIN_SECRET_BYTES:
            raise AuthConfigError(f"the signing secret is shorter than {MIN_SECRET_BYTES} bytes")
        return key


class JwksKeys:
    """Public keys of an OIDC issuer, from its JWKS URL."""

    def __init__(self, url: str) -> None:
        self._client = jwt.PyJWKClient(
            url, cache_keys=True, lifespan=JWKS_LIFESPAN_SECONDS, timeout=JWKS_TIMEOUT_SECONDS
        )

    def for_token(self, token: str) -> jwt.PyJWK:
        """The key named by the token's ``kid``.

        Raises :class:`jwt.PyJWTError` for a token without a known ``kid`` and
        :class:`KeySourceUnavailableError` when the endpoint cannot be reached.
        """
        try:
            return self._client.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError:
            raise KeySourceUnavailableError("cannot fetch the JWKS") from None
