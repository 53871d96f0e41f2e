"""Where the authorizer finds the token: ``Sec-WebSocket-Protocol`` or the ``token`` query."""

from __future__ import annotations

import pytest

from alexho_invoice_runtime.auth.tokens import (
    AmbiguousTokenError,
    MissingSubprotocolError,
    extract_token,
    offers_subprotocol,
)
from alexho_invoice_runtime.definitions import SUBPROTOCOL
from tests.runtime.events import authorizer_event, browser_protocol_header, token_query

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"


def test_token_after_the_subprotocol_is_found() -> None:
    # GIVEN a browser offering "alexho-invoice.v1, <jwt>"
    event = authorizer_event(protocol_header=browser_protocol_header(TOKEN))
    # WHEN / THEN the entry that is not the subprotocol is the token
    assert extract_token(event) == TOKEN


def test_token_before_the_subprotocol_is_found() -> None:
    # GIVEN the entries in the other order
    event = authorizer_event(protocol_header=f"{TOKEN}, {SUBPROTOCOL}")
    # WHEN / THEN the order does not matter
    assert extract_token(event) == TOKEN


@pytest.mark.parametrize("header_name", ["sec-websocket-protocol", "SEC-WEBSOCKET-PROTOCOL"])
def test_header_name_case_does_not_matter(header_name: str) -> None:
    # GIVEN a client that spells the header differently (API Gateway keeps the client's case)
    event = authorizer_event(
        protocol_header=browser_protocol_header(TOKEN), header_name=header_name
    )
    # WHEN / THEN the token is found all the same
    assert extract_token(event) == TOKEN


def test_repeated_protocol_headers_are_read_from_multi_value_headers() -> None:
    # GIVEN the subprotocol and the token sent as two separate header lines
    event = authorizer_event(multi_value_protocol=[SUBPROTOCOL, TOKEN])
    # WHEN / THEN the token is found although "headers" keeps only the last line
    assert extract_token(event) == TOKEN


def test_token_query_parameter_is_used_without_a_protocol_header() -> None:
    # GIVEN a non-browser client passing ?token=
    event = authorizer_event(query=token_query(TOKEN))
    # WHEN / THEN the query parameter's token is used
    assert extract_token(event) == TOKEN


def test_only_the_subprotocol_means_no_token() -> None:
    # GIVEN a client offering the subprotocol without a token
    event = authorizer_event(protocol_header=SUBPROTOCOL)
    # WHEN / THEN there is no token
    assert extract_token(event) is None


def test_no_header_and_no_query_means_no_token() -> None:
    assert extract_token(authorizer_event()) is None


def test_two_different_tokens_are_ambiguous() -> None:
    # GIVEN two candidate tokens in the protocol header
    event = authorizer_event(protocol_header=f"{SUBPROTOCOL}, {TOKEN}, other.token.here")
    # WHEN / THEN extraction refuses to guess
    with pytest.raises(AmbiguousTokenError):
        extract_token(event)


@pytest.mark.parametrize(
    "query", [pytest.param(None, id="header-only"), pytest.param(TOKEN, id="with-query-token")]
)
def test_token_as_the_only_subprotocol_is_refused(query: str | None) -> None:
    # GIVEN a token offered as a subprotocol without alexho-invoice.v1 ($connect could echo none)
    event = authorizer_event(
        protocol_header=TOKEN, query=token_query(query) if query is not None else None
    )
    # WHEN / THEN extraction refuses it, naming what is missing and not the token
    with pytest.raises(MissingSubprotocolError, match=f"without {SUBPROTOCOL}$") as refused:
        extract_token(event)
    assert TOKEN not in str(refused.value)


def test_subprotocol_offer_is_detected_only_when_offered() -> None:
    assert offers_subprotocol(authorizer_event(protocol_header=browser_protocol_header(TOKEN)))
    assert not offers_subprotocol(authorizer_event(protocol_header=TOKEN))
    assert not offers_subprotocol(authorizer_event(query=token_query(TOKEN)))
