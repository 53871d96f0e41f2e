"""The verified identity of a connection and its checks (docs/architecture.md §3).

The authorizer builds an :class:`Identity` from verified token claims; API Gateway hands its
context to ``$connect``, which rebuilds and re-checks it before storing the connection.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from alexho_invoice_runtime.contract import audience_for, schema
from alexho_invoice_runtime.definitions import (
    ADMIN,
    AUDIENCE,
    CUSTOMER,
    CUSTOMER_ID,
    MAX_SUBJECT_LENGTH,
    SUBJECT,
    TOKEN_EXPIRES_AT,
    TOKEN_ISSUED_AT,
    USER_TYPE,
)

USER_TYPES: Final = frozenset({ADMIN, CUSTOMER})


class InvalidIdentityError(ValueError):
    """Claims or an authorizer context that do not make a valid identity.

    The message names the problem, never a claim's value.
    """


@cache
def _customer_id_pattern() -> re.Pattern[str]:
    """The schema's identifier pattern (the same rule the events' ``customerid`` follows)."""
    return re.compile(schema()["$defs"]["identifier"]["pattern"])


def is_customer_id(value: object) -> bool:
    """Whether ``value`` is a well-formed customer id."""
    return isinstance(value, str) and _customer_id_pattern().fullmatch(value) is not None


@dataclass(frozen=True)
class Identity:
    """Who a connection belongs to: subject, user type, customer id and the one audience."""

    sub: str
    user_type: str
    customer_id: str
    audience: str

    @classmethod
    def create(cls, sub: object, user_type: object, customer_id: object) -> Identity:
        """Check the parts and derive the audience; ``customer_id`` is ignored for admins."""
        if not isinstance(sub, str) or not sub.strip() or len(sub) > MAX_SUBJECT_LENGTH:
            raise InvalidIdentityError("subject missing or malformed")
        # A list or an object is no user type (and is unhashable: test the type first).
        if not isinstance(user_type, str) or user_type not in USER_TYPES:
            raise InvalidIdentityError("user type missing or not ADMIN/CUSTOMER")
        if user_type == ADMIN:
            return cls(sub=sub, user_type=ADMIN, customer_id="", audience=audience_for(ADMIN, None))
        if not is_customer_id(customer_id):
            raise InvalidIdentityError("customer id missing or malformed for a CUSTOMER")
        assert isinstance(customer_id, str)
        return cls(
            sub=sub,
            user_type=CUSTOMER,
            customer_id=customer_id,
            audience=audience_for(CUSTOMER, customer_id),
        )

    @classmethod
    def from_claims(
        cls, claims: Mapping[str, Any], *, sub: str, user_type: str, customer_id: str
    ) -> Identity:
        """The identity in verified token ``claims``, using the configured claim names."""
        return cls.create(claims.get(sub), claims.get(user_type), claims.get(customer_id))

    @classmethod
    def from_authorizer_context(cls, context: object) -> Identity:
        """The identity in ``requestContext.authorizer``, re-checked; its ``audience`` must be
        the one the other fields imply."""
        if not isinstance(context, Mapping):
            raise InvalidIdentityError("authorizer context missing")
        identity = cls.create(
            context.get(SUBJECT), context.get(USER_TYPE), context.get(CUSTOMER_ID, "")
        )
        if context.get(AUDIENCE) != identity.audience:
            raise InvalidIdentityError("authorizer context audience inconsistent")
        return identity

    def to_context(self) -> dict[str, str]:
        """The authorizer context API Gateway passes on to ``$connect``."""
        return {
            SUBJECT: self.sub,
            USER_TYPE: self.user_type,
            CUSTOMER_ID: self.customer_id,
            AUDIENCE: self.audience,
        }


def token_times_from_authorizer_context(context: object) -> tuple[int, int]:
    """``(iat, exp)`` of the connecting token, from ``requestContext.authorizer`` (API Gateway
    may hand the numbers on as strings)."""
    if not isinstance(context, Mapping):
        raise InvalidIdentityError("authorizer context missing")
    times = []
    for name in (TOKEN_ISSUED_AT, TOKEN_EXPIRES_AT):
        value = context.get(name)
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidIdentityError(f"authorizer context has no valid {name}")
        times.append(value)
    return times[0], times[1]
