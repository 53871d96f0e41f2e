"""What API Gateway does with a Lambda REQUEST authorizer's outcome.

- the function raises ``Exception("Unauthorized")``: 401;
- it returns a policy whose statements deny (or do not allow) ``execute-api:Invoke`` on the
  route's ARN: 403;
- it fails otherwise, or returns something that is not a valid authorizer response: 500;
- it allows: the connection proceeds, and ``requestContext.authorizer`` of every later event
  holds the response's ``context`` (values stringified: ``1`` → ``"1"``, ``True`` → ``"true"``)
  plus ``principalId`` and ``integrationLatency``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

UNAUTHORIZED_MESSAGE = "Unauthorized"
_INVOKE_ACTIONS = ("execute-api:invoke", "execute-api:*", "*")


@dataclass(frozen=True)
class AuthorizerDecision:
    """Allowed with its request-context map, or refused with an HTTP status."""

    status: int
    authorizer: dict[str, Any] | None = None

    @property
    def allowed(self) -> bool:
        """Whether the connection may proceed to ``$connect``."""
        return self.authorizer is not None


def decision_for_error(error: BaseException) -> AuthorizerDecision:
    """401 for API Gateway's ``Unauthorized`` convention, 500 for any other failure."""
    if str(error) == UNAUTHORIZED_MESSAGE:
        return AuthorizerDecision(401)
    return AuthorizerDecision(500)


def decision_for_response(
    response: Any, method_arn: str, latency_ms: int = 0
) -> AuthorizerDecision:
    """Evaluate an authorizer's return value against the ARN of the route it guards."""
    if not isinstance(response, Mapping):
        return AuthorizerDecision(500)
    principal = response.get("principalId")
    document = response.get("policyDocument")
    context = response.get("context") or {}
    if not isinstance(principal, str) or not isinstance(document, Mapping):
        return AuthorizerDecision(500)
    if not isinstance(context, Mapping) or not all(
        value is None or isinstance(value, str | int | float | bool) for value in context.values()
    ):
        return AuthorizerDecision(500)  # API Gateway allows only scalar context values
    statements = document.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list):
        return AuthorizerDecision(500)
    effects = {
        str(statement.get("Effect"))
        for statement in statements
        if isinstance(statement, Mapping) and _applies(statement, method_arn)
    }
    if "Deny" in effects or "Allow" not in effects:
        return AuthorizerDecision(403)
    flattened: dict[str, Any] = {key: _as_context_string(value) for key, value in context.items()}
    flattened["principalId"] = principal
    flattened["integrationLatency"] = latency_ms
    return AuthorizerDecision(200, flattened)


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _applies(statement: Mapping[str, Any], method_arn: str) -> bool:
    actions = [action.lower() for action in _as_list(statement.get("Action"))]
    if not any(action in _INVOKE_ACTIONS for action in actions):
        return False
    return any(_arn_matches(pattern, method_arn) for pattern in _as_list(statement.get("Resource")))


def _arn_matches(pattern: str, arn: str) -> bool:
    expression = ".*".join(
        ".".join(re.escape(piece) for piece in part.split("?")) for part in pattern.split("*")
    )
    return re.fullmatch(expression, arn) is not None


def _as_context_string(value: str | int | float | bool | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
