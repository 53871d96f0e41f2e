"""Where a connecting client's token is: ``Sec-WebSocket-Protocol`` or the ``token`` query
parameter (docs/architecture.md §3). Browsers cannot set headers on a WebSocket, so they offer
``alexho-invoice.v1, <jwt>`` as subprotocols; other clients may use ``?token=<jwt>``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from alexho_invoice_runtime.definitions import SUBPROTOCOL, TOKEN_QUERY_PARAMETER

PROTOCOL_HEADER: Final = "sec-websocket-protocol"


class AmbiguousTokenError(ValueError):
    """The request offers more than one candidate token."""


class MissingSubprotocolError(ValueError):
    """A token is offered as a subprotocol without :data:`SUBPROTOCOL` next to it.

    ``$connect`` could then echo no subprotocol, and a browser aborts a handshake whose
    response selects none of the offered ones: refused up front (401) with this reason.
    """

    def __init__(self) -> None:
        super().__init__(f"token offered as a subprotocol without {SUBPROTOCOL}")


def _header_values(event: Mapping[str, Any], name: str) -> list[str]:
    """Every value of header ``name`` (case-insensitive) in ``multiValueHeaders``, else in
    ``headers`` (API Gateway passes header names as the client sent them)."""
    for field, multi in (("multiValueHeaders", True), ("headers", False)):
        headers = event.get(field)
        if not isinstance(headers, Mapping):
            continue
        values: list[str] = []
        for key, value in headers.items():
            if isinstance(key, str) and key.lower() == name:
                items = value if multi and isinstance(value, list) else [value]
                values.extend(item for item in items if isinstance(item, str))
        if values:
            return values
    return []


def offered_protocols(event: Mapping[str, Any]) -> list[str]:
    """The subprotocol entries the client offered, in order."""
    return [
        entry.strip()
        for value in _header_values(event, PROTOCOL_HEADER)
        for entry in value.split(",")
        if entry.strip()
    ]


def offers_subprotocol(event: Mapping[str, Any]) -> bool:
    """Whether the client offered :data:`~alexho_invoice_runtime.definitions.SUBPROTOCOL`."""
    return SUBPROTOCOL in offered_protocols(event)


def _query_values(event: Mapping[str, Any], name: str) -> Iterator[str]:
    multi = event.get("multiValueQueryStringParameters")
    if isinstance(multi, Mapping) and isinstance(multi.get(name), list):
        yield from (v for v in multi[name] if isinstance(v, str))
        return
    single = event.get("queryStringParameters")
    if isinstance(single, Mapping) and isinstance(single.get(name), str):
        yield single[name]


def extract_token(event: Mapping[str, Any]) -> str | None:
    """The token of a ``$connect`` request, or ``None`` when there is none.

    The subprotocol header wins over the query parameter. Raises :class:`AmbiguousTokenError`
    when either place holds more than one candidate, and :class:`MissingSubprotocolError` when
    the header holds a token but not :data:`SUBPROTOCOL`.
    """
    offered = offered_protocols(event)
    candidates = [p for p in offered if p != SUBPROTOCOL]
    if candidates and SUBPROTOCOL not in offered:
        raise MissingSubprotocolError
    if not candidates:
        candidates = [v.strip() for v in _query_values(event, TOKEN_QUERY_PARAMETER) if v.strip()]
    if len(set(candidates)) > 1:
        raise AmbiguousTokenError("more than one token offered")
    return candidates[0] if candidates else None
