"""WSGI middleware in front of moto: only local programs may use the local AWS endpoint.

moto answers any request, signed or not, and reflects any ``Origin`` in
``Access-Control-Allow-Origin``, so without this a web page the developer visits could read the
token signing secret or publish events. Refused (403, nothing reaches moto):

- a ``Host`` that is not a loopback name or address with moto's own port (DNS rebinding), and a
  missing, malformed or repeated one (400);
- any request from a web page: an ``Origin`` header other than moto's own origin, a
  ``Sec-Fetch-Site`` other than ``same-origin`` or ``none``, and every ``OPTIONS`` (CORS
  preflight). AWS SDKs, the AWS CLI and the stack itself send none of these.

And no answer carries ``Access-Control-*`` headers, so no other origin may read one.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any, Final

from alexho_invoice_local.loopback_hosts import MalformedHostError, is_own_host

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

_SAME_SITE_FETCHES: Final = frozenset({"same-origin", "none"})
_CORS_PREFIX: Final = "access-control-"


class LoopbackOnly:
    """Answers 400/403 itself for a request that is not from a local program; strips CORS
    headers from moto's answers. :attr:`port` is set once the server is bound."""

    def __init__(self, app: WSGIApplication, forwarded_ports: Collection[int] = ()) -> None:
        self._app = app
        self.port = 0
        self._forwarded_ports = frozenset(forwarded_ports)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        refusal = self._refusal(environ)
        if refusal is not None:
            status, message = refusal
            body = json.dumps({"message": message}).encode()
            start_response(
                status,
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]

        def without_cors(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            kept = [(name, value) for name, value in headers if not _is_cors(name)]
            return start_response(status, kept, exc_info)

        return self._app(environ, without_cors)

    def _refusal(self, environ: WSGIEnvironment) -> tuple[str, str] | None:
        host = str(environ.get("HTTP_HOST", ""))
        try:
            own = is_own_host(host, self.port, self._forwarded_ports)
        except MalformedHostError:
            return "400 Bad Request", "missing, malformed or repeated Host header"
        if not own:
            return "403 Forbidden", "this endpoint answers its loopback address only"
        if environ.get("REQUEST_METHOD") == "OPTIONS":
            return "403 Forbidden", "no cross-origin requests"
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and str(origin).lower() != f"http://{host.lower()}":
            return "403 Forbidden", "no requests from web pages"
        fetch_site = str(environ.get("HTTP_SEC_FETCH_SITE", "none")).lower()
        if fetch_site not in _SAME_SITE_FETCHES:
            return "403 Forbidden", "no requests from web pages"
        return None


def _is_cors(name: str) -> bool:
    return name.lower().startswith(_CORS_PREFIX)
