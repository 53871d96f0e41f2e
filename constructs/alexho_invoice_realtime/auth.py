"""Authentication settings of the ``$connect`` authorizer: HS256 or an OIDC issuer's JWKS."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from alexho_invoice_runtime import definitions
from alexho_invoice_runtime.definitions import Env

AUTH_MODES = (definitions.AUTH_MODE_HS256, definitions.AUTH_MODE_JWKS)


@dataclass(frozen=True, kw_only=True)
class ClaimNames:
    """Names of the JWT claims the authorizer reads (defaults match the publisher SDK)."""

    sub: str = definitions.DEFAULT_CLAIM_SUB
    user_type: str = definitions.DEFAULT_CLAIM_USER_TYPE
    customer_id: str = definitions.DEFAULT_CLAIM_CUSTOMER_ID

    def __post_init__(self) -> None:
        for attribute in ("sub", "user_type", "customer_id"):
            if not getattr(self, attribute):
                raise ValueError(f"claim name {attribute!r} must not be empty")


@dataclass(frozen=True, kw_only=True)
class AuthSettings:
    """How ``$connect`` tokens are verified.

    - ``mode=AUTH_MODE_HS256`` (default): a shared key in Secrets Manager (created by the
      construct unless ``existing_auth_secret`` is given); ``issuer``/``audience`` are checked
      when set.
    - ``mode=AUTH_MODE_JWKS``: RS256/ES256 tokens of an OIDC issuer (Cognito, Auth0, Keycloak…);
      ``jwks_url``, ``issuer`` and ``audience`` are all required.
    """

    mode: str = definitions.AUTH_MODE_HS256
    jwks_url: str | None = None
    issuer: str | None = None
    audience: str | None = None
    claims: ClaimNames = field(default_factory=ClaimNames)

    def __post_init__(self) -> None:
        if self.mode not in AUTH_MODES:
            raise ValueError(f"auth mode {self.mode!r} is not one of {', '.join(AUTH_MODES)}")
        if self.mode == definitions.AUTH_MODE_JWKS:
            missing = [
                name for name in ("jwks_url", "issuer", "audience") if not getattr(self, name)
            ]
            if missing:
                raise ValueError(
                    f"auth mode {definitions.AUTH_MODE_JWKS} needs {', '.join(missing)} "
                    "(the issuer's JWKS URL, its exact 'iss' and the expected 'aud')"
                )
            if not str(self.jwks_url).startswith("https://"):
                raise ValueError("jwks_url must be an https:// URL")
        elif self.jwks_url is not None:
            raise ValueError(
                f"jwks_url is only used in auth mode {definitions.AUTH_MODE_JWKS}, not {self.mode}"
            )

    @property
    def uses_secret(self) -> bool:
        """True when tokens are verified with a shared key kept in Secrets Manager."""
        return self.mode == definitions.AUTH_MODE_HS256

    def environment(self) -> Mapping[str, str]:
        """Authorizer environment variables (everything except the secret id)."""
        env = {
            Env.AUTH_MODE: self.mode,
            Env.CLAIM_SUB: self.claims.sub,
            Env.CLAIM_USER_TYPE: self.claims.user_type,
            Env.CLAIM_CUSTOMER_ID: self.claims.customer_id,
        }
        optional = {
            Env.AUTH_JWKS_URL: self.jwks_url,
            Env.AUTH_ISSUER: self.issuer,
            Env.AUTH_AUDIENCE: self.audience,
        }
        env.update({name: value for name, value in optional.items() if value})
        return env
