"""The client protocol of the WebSocket (docs/architecture.md §5): client messages and server
control frames.

Client → server: a JSON object with an ``action``: ``{"action": "ping"}``,
``{"action": "resume", "after": "<cursor>"}``, ``{"action": "resume", "since": <epoch ms>}``
or ``{"action": "refresh", "token": "<jwt>"}``.
Server → client: event frames (``contract.encode_event_frame``) and control frames with a
lowercase ``type``: ``pong``, ``error``, ``resume-end`` and ``refreshed``.

A connection ends with its token: once the token's ``exp`` (plus the leeway) has passed, or its
identity was revoked, the server delivers nothing more and closes the connection. To keep a
session alive, the client sends ``refresh`` with a new token before ``exp``. The new token is
verified exactly as the authorizer verifies one at ``$connect`` (signature, issuer, audience,
maximum lifetime, revocation) and must carry the same ``sub``, ``userType`` and
``customerId`` as the connection. Success answers ``{"type": "refreshed", "expiresAt": <epoch
seconds>}`` and the connection lives until the new ``exp``; anything else answers
``{"type": "error", "code": "refresh-refused", "message": …}`` (never quoting the token) and the
connection stays until its current token expires. Reconnecting with a fresh token works too.

:func:`parse_client_message` raises :class:`ProtocolError` (with a code and a message that never
quote the client's input) for anything else; the caller answers it with :func:`error_frame`.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from alexho_invoice_runtime.definitions import MAX_MESSAGE_BYTES
from alexho_invoice_runtime.event_log import is_cursor

ACTION_PING: Final = "ping"
ACTION_RESUME: Final = "resume"
ACTION_REFRESH: Final = "refresh"

FRAME_PONG: Final = "pong"
FRAME_ERROR: Final = "error"
FRAME_RESUME_END: Final = "resume-end"
FRAME_REFRESHED: Final = "refreshed"

_MAX_BASE64_CHARS: Final = 4 * -(-MAX_MESSAGE_BYTES // 3)
#: ``since`` is epoch milliseconds of at most 13 digits, like a cursor's time.
MAX_EPOCH_MS: Final = 10**13


class ErrorCode(StrEnum):
    """Codes of ``error`` frames."""

    MESSAGE_TOO_LARGE = "message-too-large"
    INVALID_JSON = "invalid-json"
    INVALID_MESSAGE = "invalid-message"
    UNKNOWN_ACTION = "unknown-action"
    INVALID_CURSOR = "invalid-cursor"
    INVALID_SINCE = "invalid-since"
    UNKNOWN_CONNECTION = "unknown-connection"
    REFRESH_REFUSED = "refresh-refused"
    INTERNAL_ERROR = "internal-error"


class ProtocolError(ValueError):
    """A client message the server cannot act on."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Ping:
    """``{"action": "ping"}``: keeps the connection from idling out."""


@dataclass(frozen=True)
class Resume:
    """``{"action": "resume", "after": cursor}`` or ``{"action": "resume", "since": ms}``:
    replay what the audience missed after a cursor, or recorded since a time (exactly one)."""

    after: str | None = None
    since: int | None = None


@dataclass(frozen=True)
class Refresh:
    """``{"action": "refresh", "token": jwt}``: extend the session with a newer token."""

    token: str = field(repr=False)


ClientMessage = Ping | Resume | Refresh


def _decode(body: object, is_base64: bool) -> str:
    if not isinstance(body, str) or not body:
        raise ProtocolError(ErrorCode.INVALID_JSON, "the message must be a JSON object")
    # A cheap first cut before encoding or decoding anything: every character is at least one
    # byte of text, and base64 carries three bytes in four characters.
    if len(body) > (_MAX_BASE64_CHARS if is_base64 else MAX_MESSAGE_BYTES):
        raise ProtocolError(ErrorCode.MESSAGE_TOO_LARGE, _too_large())
    if not is_base64:
        raw = body.encode("utf-8", "surrogatepass")
    else:
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise ProtocolError(ErrorCode.INVALID_JSON, "the message must be JSON text") from None
    if len(raw) > MAX_MESSAGE_BYTES:
        raise ProtocolError(ErrorCode.MESSAGE_TOO_LARGE, _too_large())
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(ErrorCode.INVALID_JSON, "the message must be UTF-8 JSON") from None


def _too_large() -> str:
    return f"messages are limited to {MAX_MESSAGE_BYTES} bytes"


def parse_client_message(body: object, *, is_base64: bool = False) -> ClientMessage:
    """The client message in a ``$default`` event body; raises :class:`ProtocolError`."""
    text = _decode(body, is_base64)
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        raise ProtocolError(ErrorCode.INVALID_JSON, "the message is not valid JSON") from None
    if not isinstance(message, dict):
        raise ProtocolError(ErrorCode.INVALID_MESSAGE, "the message must be a JSON object")
    action = message.get("action")
    if action == ACTION_PING:
        return Ping()
    if action == ACTION_RESUME:
        return _resume(message)
    if action == ACTION_REFRESH:
        token = message.get("token")
        if not isinstance(token, str) or not token.strip():
            raise ProtocolError(
                ErrorCode.REFRESH_REFUSED, "refresh needs 'token': a new token of this identity"
            )
        return Refresh(token=token.strip())
    if not isinstance(action, str):
        raise ProtocolError(ErrorCode.INVALID_MESSAGE, "the message needs a string 'action'")
    raise ProtocolError(
        ErrorCode.UNKNOWN_ACTION,
        f"unknown action; use '{ACTION_PING}', '{ACTION_RESUME}' or '{ACTION_REFRESH}'",
    )


def _resume(message: dict[str, Any]) -> Resume:
    if "since" in message:
        if "after" in message:
            raise ProtocolError(
                ErrorCode.INVALID_MESSAGE, "resume takes either 'after' or 'since', not both"
            )
        since = message["since"]
        if type(since) is not int or not 0 <= since < MAX_EPOCH_MS:
            raise ProtocolError(
                ErrorCode.INVALID_SINCE, "'since' must be an integer of epoch milliseconds"
            )
        return Resume(since=since)
    after = message.get("after")
    if not is_cursor(after):
        raise ProtocolError(
            ErrorCode.INVALID_CURSOR,
            "resume needs 'after' (the cursor of the last event frame received) or 'since'",
        )
    assert isinstance(after, str)
    return Resume(after=after)


def _frame(frame: dict[str, Any]) -> str:
    return json.dumps(frame, separators=(",", ":"))


def pong_frame() -> str:
    """``{"type": "pong"}``."""
    return _frame({"type": FRAME_PONG})


def error_frame(code: ErrorCode, message: str) -> str:
    """``{"type": "error", "code": …, "message": …}``."""
    return _frame({"type": FRAME_ERROR, "code": str(code), "message": message})


def resume_end_frame(cursor: str, count: int, *, more: bool, truncated: bool) -> str:
    """The end of a resume: ``cursor`` is where to resume next (the last replayed event's, or
    the requested one when nothing was replayed); ``more`` says another ``resume`` from it
    has more to replay; ``truncated`` says the requested cursor was older than the log's
    retention, so events may be missing before the first one replayed."""
    return _frame(
        {
            "type": FRAME_RESUME_END,
            "cursor": cursor,
            "count": count,
            "more": more,
            "truncated": truncated,
        }
    )


def refreshed_frame(expires_at: int) -> str:
    """``{"type": "refreshed", "expiresAt": …}``: the connection now lives until ``expires_at``
    (the new token's ``exp``, epoch seconds)."""
    return _frame({"type": FRAME_REFRESHED, "expiresAt": expires_at})
