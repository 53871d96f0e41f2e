"""Check 3, the WebSocket URL answers: connect with a short-lived token, the subprotocol is
echoed, and a ``ping`` gets its ``pong`` (round trip reported)."""

from __future__ import annotations

import time
from typing import Final

from websockets.exceptions import InvalidStatus, InvalidURI, WebSocketException

from alexho_invoice_ops.connection import CheckConnection
from alexho_invoice_ops.identity import CheckIdentity
from alexho_invoice_ops.results import CheckResult
from alexho_invoice_ops.target import CheckTarget
from alexho_invoice_runtime.definitions import SUBPROTOCOL

KEY: Final = "websocket"
TITLE: Final = "WebSocket URL"


async def check_websocket(
    target: CheckTarget, identity: CheckIdentity, timeout: float
) -> tuple[CheckResult, CheckConnection | None]:
    """Open the check's connection; it stays open (for the end-to-end check) when this passes."""
    url = target.websocket_url
    started = time.perf_counter()
    try:
        connection = await CheckConnection.open(url, identity.token, timeout)
    except InvalidStatus as error:
        status = error.response.status_code
        return _refused(url, status, identity), None
    except InvalidURI:
        return (
            CheckResult.failed(
                KEY, TITLE, f"{url} is not a WebSocket URL", "use the stack's WebSocketUrl output"
            ),
            None,
        )
    except (OSError, TimeoutError, WebSocketException) as error:
        return (
            CheckResult.failed(
                KEY,
                TITLE,
                f"no WebSocket answer from {url} ({type(error).__name__})",
                "check the URL (the stack's WebSocketUrl output, with its stage) and that "
                "the API's stage is deployed; behind a proxy, allow wss:// to it",
            ),
            None,
        )
    connect_ms = (time.perf_counter() - started) * 1000
    if connection.subprotocol != SUBPROTOCOL:
        await connection.close()
        return (
            CheckResult.failed(
                KEY,
                TITLE,
                f"connected, but the subprotocol {SUBPROTOCOL} was not echoed "
                f"(got {connection.subprotocol!r})",
                "browsers drop such a connection: $connect must answer with "
                f"Sec-WebSocket-Protocol: {SUBPROTOCOL} (deploy this version's connect function)",
            ),
            None,
        )
    try:
        sent = await connection.send({"action": "ping"})
        pong = await connection.wait_for(lambda frame: frame.get("type") == "pong", timeout)
    except (TimeoutError, ConnectionError, WebSocketException) as error:
        await connection.close()
        return (
            CheckResult.failed(
                KEY,
                TITLE,
                f"connected, but no pong to a ping within {timeout:g} s ({type(error).__name__})",
                "see the $default function's errors and log (the functions check below)",
            ),
            None,
        )
    round_trip_ms = (pong.received - sent) * 1000
    return (
        CheckResult.passed(
            KEY,
            TITLE,
            f"{url} accepted the token, echoed {SUBPROTOCOL}; ping → pong {round_trip_ms:.0f} ms "
            f"(connect {connect_ms:.0f} ms)",
            connectMs=round(connect_ms, 1),
            pingPongMs=round(round_trip_ms, 1),
        ),
        connection,
    )


def _refused(url: str, status: int, identity: CheckIdentity) -> CheckResult:
    if identity.minted:
        fix = (
            "the authorizer refused a token signed with the stack's own secret: check the "
            "authorizer function's AUTH_SECRET_ID and its log for the reason"
        )
    else:
        fix = (
            "the authorizer refused the --token: mint a fresh one (expired?) from the issuer "
            "and audience the stack expects"
        )
    if status not in (401, 403):
        fix = f"HTTP {status} at $connect: see the authorizer and connect functions' logs"
    return CheckResult.failed(
        KEY, TITLE, f"{url} refused the connection (HTTP {status})", fix, httpStatus=status
    )
