"""REQUEST authorizer of ``$connect``: verifies the client's JWT, allows or denies the connection.

No token, or a token offered as a subprotocol without ``alexho-invoice.v1`` (``$connect`` could
echo none, so the browser would abort the handshake) → ``Unauthorized`` (API Gateway answers
401); a token that does not verify (bad signature or claims, lifetime over the maximum, identity
revoked) → a Deny policy (403); a valid token → an Allow policy whose context (sub, userType,
customerId, audience, the token's ``iat`` and ``exp``) API Gateway hands to ``$connect``. An
unexpected failure is logged (its type only) and counted as ``AuthorizerErrors`` before it
fails the request. A token never reaches a log line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, NoReturn

from alexho_invoice_runtime.auth import policy
from alexho_invoice_runtime.auth.config import AuthConfigError
from alexho_invoice_runtime.auth.keys import KeySourceUnavailableError
from alexho_invoice_runtime.auth.tokens import (
    AmbiguousTokenError,
    MissingSubprotocolError,
    extract_token,
)
from alexho_invoice_runtime.auth.verifier import InvalidTokenError, default_verifier
from alexho_invoice_runtime.observability import Metrics, get_logger, lambda_invocation

logger = get_logger(__name__)

#: EMF count of refusals (401): Lambda counts each as an error; the authorizer alarm watches
#: ``AuthorizerErrors`` instead, so refusals never raise it.
REFUSED_METRIC: Final = "ConnectUnauthorized"


@lambda_invocation()
def handler(event: Mapping[str, Any], context: object, metrics: Metrics) -> dict[str, Any]:
    """Lambda entry point (API Gateway WebSocket REQUEST authorizer)."""
    request_context = event.get("requestContext")
    request_context = request_context if isinstance(request_context, Mapping) else {}
    log_fields = {"connectionId": request_context.get("connectionId")}
    method_arn = str(event.get("methodArn", ""))
    try:
        token = extract_token(event)
    except AmbiguousTokenError as error:
        return _deny(method_arn, str(error), metrics, log_fields)
    except MissingSubprotocolError as error:
        _unauthorized(str(error), metrics, log_fields)
    if token is None:
        _unauthorized("no token", metrics, log_fields)
    try:
        verified = default_verifier().verify_token(token)
    except InvalidTokenError as error:
        return _deny(method_arn, error.reason, metrics, log_fields)
    except (AuthConfigError, KeySourceUnavailableError) as error:
        logger.error("authorizer cannot verify tokens", extra={**log_fields, "error": str(error)})
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


def _unauthorized(reason: str, metrics: Metrics, log_fields: dict[str, Any]) -> NoReturn:
    """Refuse with 401: API Gateway turns exactly ``Exception("Unauthorized")`` into one."""
    logger.info("connection unauthorized", extra={**log_fields, "reason": reason})
    metrics.add(REFUSED_METRIC, 1)
    raise Exception("Unauthorized")  # the exact message API Gateway turns into a 401


def _deny(
    method_arn: str, reason: str, metrics: Metrics, log_fields: dict[str, Any]
) -> dict[str, Any]:
    logger.info("connection denied", extra={**log_fields, "reason": reason})
    metrics.add("ConnectDenied", 1)
    return policy.deny(method_arn)
