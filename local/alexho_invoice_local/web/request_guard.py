"""Which requests the demo page server answers: its own origin on loopback, nothing else.

The server binds to loopback, but a web page on any site can still make the browser send
requests there. A ``Host`` that is not the server's own address (DNS rebinding), an ``Origin``
of another site, a ``Sec-Fetch-Site`` of ``cross-site`` and a POST that is not JSON (a plain
form, which needs no CORS preflight) are refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from alexho_invoice_local.settings import url_host

_SAME_SITE_FETCHES: Final = frozenset({"same-origin", "none"})


def own_hosts(host: str, port: int) -> frozenset[str]:
    """The ``Host`` header values of this server (``localhost`` as well as the address)."""
    return frozenset({f"{url_host(host)}:{port}", f"localhost:{port}"})


def refusal(
    method: str, path: str, headers: Mapping[str, str], hosts: frozenset[str]
) -> str | None:
    """Why this request is refused, or ``None`` when it may be answered.

    ``headers`` has lower-case names.
    """
    host = headers.get("host", "").lower()
    if host not in hosts:
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
