"""Which requests the demo page server answers: its own origin on loopback, nothing else.

The server binds to loopback, but a web page on any site can still make the browser send
requests there. A ``Host`` that is not a loopback name with the server's own port (DNS
rebinding), an ``Origin`` of another site, a ``Sec-Fetch-Site`` of ``cross-site`` and a POST
that is not JSON (a plain form, which needs no CORS preflight) are refused (403); a missing,
malformed or repeated ``Host`` (or a repeated header the guard reads) gets a 400.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Final

from alexho_invoice_local.loopback_hosts import MalformedHostError, is_own_host

_SAME_SITE_FETCHES: Final = frozenset({"same-origin", "none"})
#: Headers the guard reads: each may come once at most.
SINGLE_HEADERS: Final = ("host", "origin", "sec-fetch-site", "content-type", "content-length")


class BadRequestError(ValueError):
    """A request too malformed to judge (HTTP 400)."""


def refusal(
    method: str,
    path: str,
    headers: Mapping[str, str],
    port: int,
    forwarded_ports: Collection[int] = (),
) -> str | None:
    """Why this request to the server on ``port`` (or a loopback port forwarded to it) is
    refused (403), or ``None`` when it may be answered; raises :class:`BadRequestError` for a
    missing or malformed ``Host``.

    ``headers`` has lower-case names.
    """
    host = headers.get("host", "").lower()
    try:
        own = is_own_host(host, port, forwarded_ports)
    except MalformedHostError:
        raise BadRequestError("missing or malformed Host header") from None
    if not own:
        return "unexpected Host header (this server answers its loopback address only)"
    origin = headers.get("origin")
    if origin is not None and origin.lower() != f"http://{host}":
        return "cross-origin requests are refused"
    if not path.startswith("/api/"):
        return None
    if headers.get("sec-fetch-site", "none").lower() not in _SAME_SITE_FETCHES:
        return "cross-site requests are refused"
    if method == "POST":
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return "POST bodies must be application/json"
    return None
