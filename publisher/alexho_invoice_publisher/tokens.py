"""Short-lived HS256 connect tokens for the WebSocket API's ``$connect`` (docs/architecture.md §3).

A backend with its own login mints one per page load and hands it to its browser, which offers
it in ``Sec-WebSocket-Protocol: alexho-invoice.v1, <token>``. The signing key is the raw
SecretString of the construct's Secrets Manager secret, or given directly.

PyJWT is imported only here, and only when a minter is created, so publishing events works
without it; without it a :class:`MissingDependencyError` names the extra to install.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import cache
from types import ModuleType
from typing import Any, Final

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from alexho_invoice_publisher.errors import (
    InvalidTokenRequestError,
    MissingDependencyError,
    PublisherConfigurationError,
    SigningKeyUnavailableError,
    aws_error_details,
)
from alexho_invoice_runtime.contract import schema
from alexho_invoice_runtime.contract.schema_validator import SchemaValidator
from alexho_invoice_runtime.definitions import (
    ADMIN,
    CUSTOMER,
    DEFAULT_CLAIM_CUSTOMER_ID,
    DEFAULT_CLAIM_SUB,
    DEFAULT_CLAIM_USER_TYPE,
)
from alexho_invoice_runtime.definitions import MAX_SUBJECT_LENGTH as _ONE_SUBJECT_LIMIT

ALGORITHM: Final = "HS256"
DEFAULT_TTL_SECONDS: Final = 60
MIN_TTL_SECONDS: Final = 1
MAX_TTL_SECONDS: Final = 3600
#: RFC 7518 §3.2: an HS256 key must have at least 256 bits.
MIN_KEY_BYTES: Final = 32
#: OpenID Connect Core §2: ``sub`` is at most 255 characters — the one limit of the runtime too
#: (``definitions.MAX_SUBJECT_LENGTH``: authorizer, ``$connect``, revocation).
MAX_SUBJECT_LENGTH: Final = _ONE_SUBJECT_LIMIT
#: How long a minter reuses a key read from Secrets Manager before reading it again (rotation).
DEFAULT_SECRET_CACHE_SECONDS: Final = 300.0
USER_TYPES: Final = (ADMIN, CUSTOMER)
_REGISTERED_CLAIMS: Final = frozenset({"iat", "exp", "nbf", "iss", "aud", "jti"})
_INSTALL_HINT: Final = "pip install 'alexho-invoice-realtime[runtime]'"


class ConnectTokenMinter:
    """Mints connect tokens with one signing key source and one set of claim settings.

    Give exactly one of ``signing_key`` (the raw key) or ``secret_id`` (ARN or name of the
    Secrets Manager secret whose SecretString is the key). A key read from Secrets Manager is
    cached for ``secret_cache_seconds``, so a backend does not call Secrets Manager per token.
    ``issuer``/``audience`` add ``iss``/``aud`` (set them when the authorizer checks them);
    the claim names must match the authorizer's (defaults: ``sub``, ``userType``,
    ``customerId``). ``clock`` returns epoch seconds.
    """

    def __init__(
        self,
        *,
        signing_key: str | None = None,
        secret_id: str | None = None,
        secrets_client: Any = None,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        issuer: str | None = None,
        audience: str | None = None,
        claim_sub: str = DEFAULT_CLAIM_SUB,
        claim_user_type: str = DEFAULT_CLAIM_USER_TYPE,
        claim_customer_id: str = DEFAULT_CLAIM_CUSTOMER_ID,
        secret_cache_seconds: float = DEFAULT_SECRET_CACHE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._jwt = _pyjwt()
        if (signing_key is None) == (secret_id is None):
            raise PublisherConfigurationError("give exactly one of signing_key or secret_id")
        if signing_key is not None:
            _check_key(signing_key)
        elif not isinstance(secret_id, str) or not secret_id.strip():
            raise PublisherConfigurationError("secret_id must be a secret's ARN or name")
        _check_ttl(ttl_seconds)
        for name, value in (("issuer", issuer), ("audience", audience)):
            if value is not None and (not isinstance(value, str) or not value):
                raise PublisherConfigurationError(f"{name} must be a non-empty string or None")
        claim_names = (claim_sub, claim_user_type, claim_customer_id)
        if not all(isinstance(name, str) and name for name in claim_names):
            raise PublisherConfigurationError("claim names must be non-empty strings")
        if len(set(claim_names)) != len(claim_names) or _REGISTERED_CLAIMS & set(claim_names):
            raise PublisherConfigurationError(
                "claim names must be distinct and not registered JWT claims (iat, exp, iss, aud…)"
            )
        self._signing_key = signing_key
        self._secret_id = secret_id
        self._secrets_client = secrets_client
        self._ttl_seconds = ttl_seconds
        self._issuer = issuer
        self._audience = audience
        self._claim_sub, self._claim_user_type, self._claim_customer_id = claim_names
        self._secret_cache_seconds = secret_cache_seconds
        self._clock = clock
        self._cached_key: tuple[str, float] | None = None
        self._lock = threading.Lock()

    def mint(
        self,
        *,
        subject: str,
        user_type: str,
        customer_id: str | None = None,
        ttl_seconds: int | None = None,
    ) -> str:
        """A signed token for ``subject``.

        ``user_type`` is ``ADMIN`` or ``CUSTOMER``; a ``CUSTOMER`` token needs ``customer_id``
        (an identifier as the event schema defines it), an ``ADMIN`` token must not have one
        (admins see every customer). ``ttl_seconds`` overrides the minter's (1…3600 s).
        """
        check_subject(subject)
        claims: dict[str, Any] = {self._claim_sub: subject, self._claim_user_type: user_type}
        if user_type == CUSTOMER:
            check_customer_id(customer_id)
            claims[self._claim_customer_id] = customer_id
        elif user_type == ADMIN:
            if customer_id is not None:
                raise InvalidTokenRequestError(
                    "an ADMIN token carries no customer_id (admins see every customer)"
                )
        else:
            raise InvalidTokenRequestError(f"user_type must be one of {', '.join(USER_TYPES)}")
        ttl = self._ttl_seconds if ttl_seconds is None else ttl_seconds
        _check_ttl(ttl)
        issued_at = int(self._clock())
        claims["iat"] = issued_at
        claims["exp"] = issued_at + ttl
        if self._issuer is not None:
            claims["iss"] = self._issuer
        if self._audience is not None:
            claims["aud"] = self._audience
        return str(self._jwt.encode(claims, self._key(), algorithm=ALGORITHM))

    def _key(self) -> str:
        if self._signing_key is not None:
            return self._signing_key
        with self._lock:
            now = time.monotonic()
            if (
                self._cached_key is not None
                and now - self._cached_key[1] < self._secret_cache_seconds
            ):
                return self._cached_key[0]
            key = self._read_secret()
            self._cached_key = (key, now)
            return key

    def _read_secret(self) -> str:
        secret_id = str(self._secret_id)
        if self._secrets_client is None:
            self._secrets_client = boto3.client(
                "secretsmanager", region_name=_arn_region(secret_id)
            )
        try:
            response = self._secrets_client.get_secret_value(SecretId=secret_id)
        except (ClientError, BotoCoreError) as error:
            code, _ = aws_error_details(error)
            raise SigningKeyUnavailableError(
                code, f"could not read the signing key secret {secret_id!r} ({code})"
            ) from None
        key = response.get("SecretString")
        if not isinstance(key, str) or not key:
            raise SigningKeyUnavailableError(
                "NoSecretString",
                f"secret {secret_id!r} has no SecretString (the raw signing key is expected)",
            )
        _check_key(key)
        return key


def mint_connect_token(
    *,
    subject: str,
    user_type: str,
    customer_id: str | None = None,
    signing_key: str | None = None,
    secret_id: str | None = None,
    secrets_client: Any = None,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    issuer: str | None = None,
    audience: str | None = None,
    claim_sub: str = DEFAULT_CLAIM_SUB,
    claim_user_type: str = DEFAULT_CLAIM_USER_TYPE,
    claim_customer_id: str = DEFAULT_CLAIM_CUSTOMER_ID,
) -> str:
    """Mint one connect token (see :class:`ConnectTokenMinter`; with ``secret_id`` this reads
    Secrets Manager on every call, so a backend should keep a minter instead)."""
    minter = ConnectTokenMinter(
        signing_key=signing_key,
        secret_id=secret_id,
        secrets_client=secrets_client,
        ttl_seconds=ttl_seconds,
        issuer=issuer,
        audience=audience,
        claim_sub=claim_sub,
        claim_user_type=claim_user_type,
        claim_customer_id=claim_customer_id,
    )
    return minter.mint(subject=subject, user_type=user_type, customer_id=customer_id)


def _pyjwt() -> ModuleType:
    try:
        import jwt
    except ImportError:
        raise MissingDependencyError(
            f"minting connect tokens needs PyJWT: {_INSTALL_HINT}", name="jwt"
        ) from None
    return jwt


@cache
def _identifier_validator() -> SchemaValidator:
    """Validates a value against the event schema's ``$defs/identifier``."""
    return SchemaValidator({"$defs": schema()["$defs"], "$ref": "#/$defs/identifier"})


def check_customer_id(customer_id: object) -> None:
    """Raise :class:`InvalidTokenRequestError` unless ``customer_id`` is an identifier."""
    if customer_id is None:
        raise InvalidTokenRequestError("a CUSTOMER token needs customer_id")
    problems = _identifier_validator().errors(customer_id)
    if problems:
        rules = "; ".join(problem.removeprefix("$: ") for problem in problems)
        raise InvalidTokenRequestError(f"customer_id is not a valid identifier: {rules}")


def check_subject(subject: object) -> None:
    """Raise :class:`InvalidTokenRequestError` unless ``subject`` is a usable ``sub``."""
    if not isinstance(subject, str) or not subject.strip() or len(subject) > MAX_SUBJECT_LENGTH:
        raise InvalidTokenRequestError(
            f"subject must be a non-blank string of at most {MAX_SUBJECT_LENGTH} characters"
        )


def _check_ttl(ttl_seconds: object) -> None:
    if (
        not isinstance(ttl_seconds, int)
        or isinstance(ttl_seconds, bool)
        or not MIN_TTL_SECONDS <= ttl_seconds <= MAX_TTL_SECONDS
    ):
        raise InvalidTokenRequestError(
            f"ttl_seconds must be an integer from {MIN_TTL_SECONDS} to {MAX_TTL_SECONDS}"
        )


def _check_key(key: object) -> None:
    if not isinstance(key, str) or len(key.encode()) < MIN_KEY_BYTES:
        raise PublisherConfigurationError(
            f"the HS256 signing key must be a string of at least {MIN_KEY_BYTES} bytes"
        )


def _arn_region(secret_id: str) -> str | None:
    """The region of a secret ARN (``arn:aws:secretsmanager:<region>:…``); ``None`` for a name."""
    parts = secret_id.split(":")
    if len(parts) > 3 and parts[0] == "arn" and parts[2] == "secretsmanager":
        return parts[3] or None
    return None
