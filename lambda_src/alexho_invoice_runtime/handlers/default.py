"""``$default``: the client protocol (docs/architecture.md §5) — ``ping``, ``resume``,
``refresh``, errors.

Every reply goes back through the Management API (``post_to_connection``), not through a route
response, so the API needs no route responses and replies work the same for every frame of a
resume. Bad client input is answered with an ``error`` frame and a 200, so the connection stays
open; this handler never raises on anything a client sends.

``resume`` replays from the event log for the audience of the connection's stored row (the row
that ``$connect`` wrote from the authorizer's verified context), in cursor order, at most
:data:`RESUME_BATCH_LIMIT` events per request, then sends a ``resume-end`` frame.

Every message (``ping``, ``resume``, ``refresh``) first checks the connection's stored token:
expired beyond the leeway, or revoked, and the connection is closed (``DELETE @connections``,
row deleted, ``Expired``/``Revoked`` counted) without a reply. ``refresh`` verifies the new token
with the authorizer's verifier (the same checks, including maximum lifetime and revocation),
requires the connection's identity, and records the new token's times; a refused token gets a
``refresh-refused`` error. The token itself is never logged.

A failure that is not the client's (DynamoDB or the Management API down) is logged, counted as
the ``InternalErrors`` metric and answered with an ``internal-error`` frame when possible; the
invocation then returns 500 instead of raising, so API Gateway sends no message of its own.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Final

from alexho_invoice_runtime.access import Access, access_of, close_connection
from alexho_invoice_runtime.auth.config import leeway_seconds_from_env
from alexho_invoice_runtime.aws import clients
from alexho_invoice_runtime.aws.errors import AwsError
from alexho_invoice_runtime.connections import Connection, ConnectionStore
from alexho_invoice_runtime.contract import encode_event_frame
from alexho_invoice_runtime.event_log import EventLog, retention_seconds_from_env, time_position
from alexho_invoice_runtime.handlers.websocket_event import WebSocketRequest
from alexho_invoice_runtime.observability import Metrics, get_logger, lambda_invocation
from alexho_invoice_runtime.protocol import (
    ClientMessage,
    ErrorCode,
    Ping,
    ProtocolError,
    Refresh,
    error_frame,
    parse_client_message,
    pong_frame,
    refreshed_frame,
    resume_end_frame,
)
from alexho_invoice_runtime.revocations import RevocationLookup

#: Most events one ``resume`` replays; ``resume-end`` says ``more`` when there are others.
RESUME_BATCH_LIMIT: Final = 100
OK: Final = {"statusCode": 200}

logger = get_logger(__name__)


class _ClientGoneError(Exception):
    """The caller disconnected while we were replying."""


def _post(connection_id: str, frame: str) -> None:
    try:
        clients.connections_api().send(connection_id, frame.encode())
    except AwsError as error:
        if error.gone:
            raise _ClientGoneError from None
        raise


@lambda_invocation()
def handler(event: Mapping[str, Any], context: object, metrics: Metrics) -> dict[str, Any]:
    """Lambda entry point (``$default`` route integration)."""
    request = WebSocketRequest.from_event(event)
    connection_id = request.connection_id
    log_fields = {"connectionId": connection_id}
    try:
        try:
            message = parse_client_message(
                event.get("body"), is_base64=event.get("isBase64Encoded") is True
            )
            _answer_on_live_connection(connection_id, message, metrics)
        except ProtocolError as error:
            logger.info("client error", extra={**log_fields, "code": str(error.code)})
            metrics.add("ClientErrors", 1)
            _post(connection_id, error_frame(error.code, error.message))
    except _ClientGoneError:
        logger.info("client gone before the reply", extra=log_fields)
    except Exception:
        # Not the client's fault (DynamoDB or the Management API failed): tell the client in
        # the protocol's own terms rather than let API Gateway send its generic error message.
        logger.exception("message handling failed", extra=log_fields)
        metrics.add("InternalErrors", 1)
        _reply_internal_error(connection_id)
        return {"statusCode": 500}
    return dict(OK)


def _reply_internal_error(connection_id: str) -> None:
    try:
        _post(connection_id, error_frame(ErrorCode.INTERNAL_ERROR, "try again later"))
    except Exception:
        logger.warning("could not report the failure to the client", exc_info=True)


def _answer_on_live_connection(
    connection_id: str, message: ClientMessage, metrics: Metrics
) -> None:
    # Every message, ping included, first checks the connection's token: an expired or revoked
    # connection is closed on its next message even when no event reaches its audience.
    connection = _live_connection(connection_id, metrics)
    if connection is None:
        return
    if isinstance(message, Ping):
        _post(connection_id, pong_frame())
        metrics.add("Pong", 1)
    elif isinstance(message, Refresh):
        _refresh(connection, message.token)
        metrics.add("Refreshed", 1)
    else:
        position = message.after if message.after is not None else time_position(message.since or 0)
        metrics.add("ResumedEvents", _resume(connection, position))


def _live_connection(connection_id: str, metrics: Metrics) -> Connection | None:
    """The connection's row if its token is still good; otherwise the connection is closed
    (and ``None`` returned)."""
    store = ConnectionStore(clients.connections_table())
    connection = store.get(connection_id)
    if connection is None:
        raise ProtocolError(ErrorCode.UNKNOWN_CONNECTION, "this connection is not registered")
    identity = connection.identity
    revocations = RevocationLookup(clients.revocations_table())
    access = access_of(
        sub=identity.sub,
        user_type=identity.user_type,
        customer_id=identity.customer_id,
        token_issued_at=connection.token_issued_at,
        token_expires_at=connection.token_expires_at,
        revocations=revocations.revoked_at,
        now=time.time(),
        leeway_seconds=leeway_seconds_from_env(),
    )
    if access is Access.LIVE:
        return connection
    close_connection(clients.connections_api(), connection_id)
    store.delete(connection_id)
    logger.info("connection closed", extra={"connectionId": connection_id, "reason": access.value})
    metrics.add(access.metric, 1)
    return None


def _refresh(connection: Connection, token: str) -> None:
    # PyJWT and the key source are loaded only when a client first refreshes.
    from alexho_invoice_runtime.auth.verifier import InvalidTokenError, default_verifier

    try:
        verified = default_verifier().verify_token(token)
    except InvalidTokenError as error:
        raise ProtocolError(
            ErrorCode.REFRESH_REFUSED, f"the token was refused ({error.reason})"
        ) from None
    except Exception as error:
        # Logged by the caller as an internal error: keep any message that could quote the
        # token out of the log, the type says enough.
        raise RuntimeError(f"refresh token verification failed ({type(error).__name__})") from None
    if verified.identity != connection.identity:
        raise ProtocolError(
            ErrorCode.REFRESH_REFUSED,
            "the token is not for this connection's identity (sub, userType, customerId)",
        )
    refreshed = ConnectionStore(clients.connections_table()).refresh(
        connection.connection_id,
        token_issued_at=verified.issued_at,
        token_expires_at=verified.expires_at,
    )
    if not refreshed:
        raise ProtocolError(ErrorCode.UNKNOWN_CONNECTION, "this connection is not registered")
    _post(connection.connection_id, refreshed_frame(verified.expires_at))
    logger.info(
        "token refreshed",
        extra={"connectionId": connection.connection_id, "tokenExpiresAt": verified.expires_at},
    )


def _resume(connection: Connection, position: str) -> int:
    """Replay from ``position`` (a cursor or a time position), window included; the count."""
    connection_id = connection.connection_id
    event_log = EventLog(clients.event_log_table(), retention_seconds_from_env())
    replay = event_log.replay(connection.identity.audience, position, RESUME_BATCH_LIMIT)
    for cursor, event in replay.entries:
        _post(connection_id, encode_event_frame(cursor, event))
    count = len(replay.entries)
    _post(
        connection_id,
        resume_end_frame(replay.cursor, count, more=replay.more, truncated=replay.truncated),
    )
    logger.info(
        "resumed",
        extra={
            "connectionId": connection_id,
            "count": count,
            "more": replay.more,
            "truncated": replay.truncated,
        },
    )
    return count
