"""Which WebSocket handshakes the gateway refuses before any Lambda function runs.

- a ``Host`` that is not a loopback name or address with the gateway's own port: 403 (DNS
  rebinding; API Gateway answers only its own domain names too);
- an ``Origin`` other than a page served from loopback (any port: a dev server on
  ``http://localhost:3000`` connects as before) or one of the origins allowed explicitly: 403.
  A handshake without ``Origin`` (not a browser: a backend, ``alexho-local listen``, tests) is
  let in: it still needs a token, as on AWS;
- a missing, malformed or repeated ``Host``, or a repeated header the gateway reads only once
  (``Origin``, ``Upgrade``, ``User-Agent``, ``Sec-WebSocket-Key``, ``Sec-WebSocket-Version``):
  400, never a 500.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

from websockets.datastructures import Headers

from alexho_invoice_local.loopback_hosts import MalformedHostError, is_loopback_origin, is_own_host

#: Headers a handshake may carry once at most.
SINGLE_HEADERS: Final = (
    "Host",
    "Origin",
    "Upgrade",
    "User-Agent",
    "Sec-WebSocket-Key",
    "Sec-WebSocket-Version",
)


@dataclass(frozen=True)
class Refusal:
    """The HTTP status and message a refused handshake gets."""

    status: int
    message: str


def handshake_refusal(
    headers: Headers,
    port: int,
    allowed_origins: Collection[str] = (),
    forwarded_ports: Collection[int] = (),
) -> Refusal | None:
    """Why a handshake to the gateway on ``port`` (or a loopback port forwarded to it) is
    refused, or ``None``."""
    for name in SINGLE_HEADERS:
        if len(headers.get_all(name)) > 1:
            return Refusal(400, f"Bad Request: more than one {name} header")
    host = headers.get("Host")
    if host is None:
        return Refusal(400, "Bad Request: no Host header")
    try:
        own = is_own_host(host, port, forwarded_ports)
    except MalformedHostError:
        return Refusal(400, "Bad Request: malformed Host header")
    if not own:
        return Refusal(403, "Forbidden: this gateway answers its loopback address only")
    origin = headers.get("Origin")
    if origin is not None and not (is_loopback_origin(origin) or origin in allowed_origins):
        return Refusal(403, "Forbidden: pages of other sites may not connect to the local stack")
    return None
