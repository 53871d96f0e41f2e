"""Whether a connection may still receive events, and closing one that may not.

A connection ends with its token: once the token's ``exp`` is more than the leeway past, or its
identity was revoked at or after the token's ``iat``, fan-out and ``resume`` deliver nothing to
it; they close it instead (``DELETE @connections/{id}``, then its row is deleted) and count it
as ``Expired`` or ``Revoked``.
"""

from __future__ import annotations

from enum import Enum

from alexho_invoice_runtime.aws.connections_api import ConnectionsApi
from alexho_invoice_runtime.revocations import RevocationReader, is_revoked, keys_for


class Access(Enum):
    """What a connection may receive."""

    LIVE = "live"
    EXPIRED = "expired"
    REVOKED = "revoked"

    @property
    def metric(self) -> str:
        """The metric a closed connection is counted under (``Expired``/``Revoked``)."""
        return self.value.capitalize()


def token_expired(token_expires_at: int, now: float, leeway_seconds: int) -> bool:
    """Whether a token expiring at ``token_expires_at`` is past its expiry plus the leeway."""
    return now > token_expires_at + leeway_seconds


def access_of(
    *,
    sub: str,
    user_type: str,
    customer_id: str,
    token_issued_at: int,
    token_expires_at: int,
    revocations: RevocationReader,
    now: float,
    leeway_seconds: int,
) -> Access:
    """The access of one connection (expiry first: it needs no read)."""
    if token_expired(token_expires_at, now, leeway_seconds):
        return Access.EXPIRED
    keys = keys_for(sub, user_type, customer_id)
    if is_revoked(token_issued_at, keys, revocations(keys)):
        return Access.REVOKED
    return Access.LIVE


def close_connection(api: ConnectionsApi, connection_id: str) -> bool:
    """``DELETE @connections/{id}``; ``False`` when the connection was already gone."""
    return api.close(connection_id)
