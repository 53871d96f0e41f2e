"""``$connect``: stores the connection row from the authorizer's context, and only from it
(identity and the token's ``iat``/``exp``).

Headers, query parameters and body of the request are never read for the identity; the only
header used is ``Sec-WebSocket-Protocol``, to echo the subprotocol (never the token) when the
client offered it, as browsers require.

After writing the row, the identity's revocations are read again (strongly consistent): a
revocation written after the authorizer read them, but before ``AccessRevoker`` looked for the
identity's connections could be missed by both; so the row is deleted and the connect refused
(403). Either the revoker finds the row, or this read finds the revocation.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from alexho_invoice_runtime.auth.identity import (
    Identity,
    InvalidIdentityError,
    token_times_from_authorizer_context,
)
from alexho_invoice_runtime.auth.tokens import offers_subprotocol
from alexho_invoice_runtime.aws import clients
from alexho_invoice_runtime.connections import ConnectionStore
from alexho_invoice_runtime.definitions import SUBPROTOCOL
from alexho_invoice_runtime.handlers.websocket_event import WebSocketRequest
from alexho_invoice_runtime.observability import Metrics, get_logger, lambda_invocation
from alexho_invoice_runtime.revocations import (
    RevocationLookup,
    RevocationReader,
    is_revoked,
    keys_for,
)

logger = get_logger(__name__)


@lambda_invocation()
def handler(event: Mapping[str, Any], context: object, metrics: Metrics) -> dict[str, Any]:
    """Lambda entry point (``$connect`` route integration)."""
    request = WebSocketRequest.from_event(event)
    log_fields = {"connectionId": request.connection_id}
    try:
        identity = Identity.from_authorizer_context(request.authorizer)
        issued_at, token_expires_at = token_times_from_authorizer_context(request.authorizer)
    except InvalidIdentityError as error:
        logger.warning("connect refused", extra={**log_fields, "reason": str(error)})
        return {"statusCode": 403}
    connected_at_ms = request.connected_at_ms or int(time.time() * 1000)
    store = ConnectionStore(clients.connections_table())
    store.put(
        request.connection_id,
        identity,
        connected_at_ms,
        token_issued_at=issued_at,
        token_expires_at=token_expires_at,
    )
    if revoked_meanwhile(
        identity, issued_at, RevocationLookup(clients.revocations_table()).revoked_at
    ):
        store.delete(request.connection_id)
        logger.warning("connect refused", extra={**log_fields, "reason": "token revoked"})
        return {"statusCode": 403}
    logger.info("connected", extra={**log_fields, "audience": identity.audience})
    metrics.add("Connected", 1)
    response: dict[str, Any] = {"statusCode": 200}
    if offers_subprotocol(event):
        response["headers"] = {"Sec-WebSocket-Protocol": SUBPROTOCOL}
    return response


def revoked_meanwhile(identity: Identity, issued_at: int, revocations: RevocationReader) -> bool:
    """Whether a revocation of ``identity`` covers its token (issued at ``issued_at``) now."""
    keys = keys_for(identity.sub, identity.user_type, identity.customer_id)
    return is_revoked(issued_at, keys, revocations(keys))
