"""REQUEST authorizer of ``$connect``: verifies the client's JWT, allows or denies the connection.

No token → ``Unauthorized`` (API Gateway answers 401); a token that does not verify (bad
signature or claims, lifetime over the maximum, identity revoked) → a Deny policy (403); a
valid token → an Allow policy whose context (sub, userType, customerId, audience, the token's
``iat`` and ``exp``) API Gateway hands to ``$connect``. An unexpected failure is logged (its
type only) and counted as ``AuthorizerErrors`` before it fails the request. A token never
reaches a log line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alexho_invoice_runtime.auth import policy
from alexho_invoice_runtime.auth.config import AuthConfigError
from alexho_invoice_runtime.auth.keys import KeySourceUnavailableError
from alexho_invoice_runtime.auth.tokens import AmbiguousTokenError, extract_token
from alexho_invoice_runtime.auth.verifier import InvalidTokenError, default_verifier
from alexho_invoice_runtime.observability import Metrics, get_logger, set_correlation_id

logger = get_logger(__name__)


def handler(event: Mapping[str, Any], context: object) -> dict[str, Any]:
    """Lambda entry point (API Gateway WebSocket REQUEST authorizer)."""
    request_context = event.get("requestContext")
    request_context = request_context if isinstance(request_context, Mapping) else {}
    set_correlation_id(request_context.get("requestId"))
    log_fields = {"connectionId": request_context.get("connectionId")}
    method_arn = str(event.get("methodArn", ""))
    metrics = Metrics()
    try:
        try:
            token = extract_token(event)
        except AmbiguousTokenError as error:
            return _deny(method_arn, str(error), metrics, log_fields)
        if token is None:
            logger.info("connection unauthorized", extra={**log_fields, "reason": "no token"})
            metrics.add("ConnectUnauthorized", 1)
            raise Exception("Unauthorized")  # the exact message API Gateway turns into a 401
        try:
            verified = default_verifier().verify_token(token)
        except InvalidTokenError as error:
            return _deny(method_arn, error.reason, metrics, log_fields)
        except (AuthConfigError, KeySourceUnavailableError) as error:
            logger.error(
                "authorizer cannot verify tokens", extra={**log_fields, "error": str(error)}
            )
            metrics.add("AuthorizerErrors", 1)
            raise
        except Exception as error:
            # The message of an unexpected error could quote the token: log its type only.
            logger.error(
                "token verification failed", extra={**log_fields, "error": type(error).__name__}
            )
            metrics.add("AuthorizerErrors", 1)
            raise
        identity = verified.identity
        logger.info(
            "connection allowed",
            extra={**log_fields, "sub": identity.sub, "audience": identity.audience},
        )
        metrics.add("ConnectAllowed", 1)
        return policy.allow(
            method_arn, identity, issued_at=verified.issued_at, expires_at=verified.expires_at
        )
    finally:
        metrics.flush()


def _deny(
    method_arn: str, reason: str, metrics: Metrics, log_fields: dict[str, Any]
) -> dict[str, Any]:
    logger.info("connection denied", extra={**log_fields, "reason": reason})
    metrics.add("ConnectDenied", 1)
    return policy.deny(method_arn)
