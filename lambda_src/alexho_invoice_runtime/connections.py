"""Connection rows in the connections table (docs/architecture.md §4).

A row holds what the authorizer verified (subject, user type, customer id, audience, and the
token's ``iat`` and ``exp``), when the connection opened (epoch milliseconds, as API Gateway
reports it) and a TTL (epoch seconds) after API Gateway's 2-hour limit plus slack, so rows of
connections whose ``$disconnect`` never ran disappear on their own. ``refresh`` replaces the
token times with those of a newer token of the same identity.

``table`` is the connections table through the AWS layer
(:class:`~alexho_invoice_runtime.aws.dynamodb.TableApi`, see :mod:`alexho_invoice_runtime.aws`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alexho_invoice_runtime.auth.identity import Identity
from alexho_invoice_runtime.aws.dynamodb import TableApi
from alexho_invoice_runtime.aws.errors import AwsError
from alexho_invoice_runtime.definitions import (
    AUDIENCE,
    CONNECTED_AT,
    CONNECTION_EXPIRES_AT,
    CONNECTION_ID,
    CONNECTION_TTL_SLACK_SECONDS,
    CUSTOMER_ID,
    MAX_CONNECTION_SECONDS,
    SUBJECT,
    TOKEN_EXPIRES_AT,
    TOKEN_ISSUED_AT,
    USER_TYPE,
)


def expires_at(connected_at_ms: int) -> int:
    """TTL (epoch seconds) of a connection opened at ``connected_at_ms``."""
    return connected_at_ms // 1000 + MAX_CONNECTION_SECONDS + CONNECTION_TTL_SLACK_SECONDS


@dataclass(frozen=True)
class Connection:
    """One open WebSocket connection and whom it belongs to."""

    connection_id: str
    identity: Identity
    connected_at_ms: int
    expires_at: int
    #: ``exp`` and ``iat`` of the connection's current token (epoch seconds).
    token_expires_at: int
    token_issued_at: int

    def to_item(self) -> dict[str, Any]:
        """The table item of this connection."""
        return {
            CONNECTION_ID: self.connection_id,
            AUDIENCE: self.identity.audience,
            USER_TYPE: self.identity.user_type,
            CUSTOMER_ID: self.identity.customer_id,
            SUBJECT: self.identity.sub,
            CONNECTED_AT: self.connected_at_ms,
            CONNECTION_EXPIRES_AT: self.expires_at,
            TOKEN_EXPIRES_AT: self.token_expires_at,
            TOKEN_ISSUED_AT: self.token_issued_at,
        }

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Connection:
        """A connection from its table item (identity re-checked: the row is the source of
        truth for later messages on the connection)."""
        identity = Identity.create(item.get(SUBJECT), item.get(USER_TYPE), item.get(CUSTOMER_ID))
        if identity.audience != item.get(AUDIENCE):
            raise ValueError("connection row audience inconsistent")
        return cls(
            connection_id=str(item[CONNECTION_ID]),
            identity=identity,
            connected_at_ms=int(item[CONNECTED_AT]),
            expires_at=int(item[CONNECTION_EXPIRES_AT]),
            # A row without token times (written before they existed) counts as expired.
            token_expires_at=int(item.get(TOKEN_EXPIRES_AT, 0)),
            token_issued_at=int(item.get(TOKEN_ISSUED_AT, 0)),
        )


class ConnectionStore:
    """Put, get and delete connection rows."""

    def __init__(self, table: TableApi) -> None:
        self._table = table

    def put(
        self,
        connection_id: str,
        identity: Identity,
        connected_at_ms: int,
        *,
        token_issued_at: int,
        token_expires_at: int,
    ) -> Connection:
        """Store (or overwrite) the row of a newly opened connection."""
        connection = Connection(
            connection_id=connection_id,
            identity=identity,
            connected_at_ms=connected_at_ms,
            expires_at=expires_at(connected_at_ms),
            token_expires_at=token_expires_at,
            token_issued_at=token_issued_at,
        )
        self._table.put(connection.to_item())
        return connection

    def refresh(self, connection_id: str, *, token_issued_at: int, token_expires_at: int) -> bool:
        """Record a newer token's times on an existing row; ``False`` when the row is gone."""
        try:
            self._table.update(
                {CONNECTION_ID: connection_id},
                "SET #exp = :exp, #iat = :iat",
                condition="attribute_exists(#id)",
                names={"#exp": TOKEN_EXPIRES_AT, "#iat": TOKEN_ISSUED_AT, "#id": CONNECTION_ID},
                values={":exp": token_expires_at, ":iat": token_issued_at},
            )
        except AwsError as error:
            if error.conditional_check_failed:
                return False
            raise
        return True

    def get(self, connection_id: str) -> Connection | None:
        """The row of ``connection_id``, or ``None`` if there is none."""
        item = self._table.get({CONNECTION_ID: connection_id})
        return None if item is None else Connection.from_item(item)

    def delete(self, connection_id: str) -> bool:
        """Delete the row of ``connection_id``; idempotent. Returns whether a row was there."""
        return self._table.delete({CONNECTION_ID: connection_id}) is not None
