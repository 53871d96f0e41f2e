"""A token never reaches a log line, a metric line or an error: checked on the output the
authorizer really writes for an accepted, a denied and an unverifiable token."""

from __future__ import annotations

import pytest

from alexho_invoice_runtime.handlers.authorizer import handler
from tests.runtime.conftest import LogCapture
from tests.runtime.events import authorizer_event, browser_protocol_header, token_query
from tests.runtime.token_factory import OTHER_SECRET, claims, hs256


def assert_token_absent(token: str, *outputs: str) -> None:
    signature = token.rsplit(".", 1)[-1]
    for output in outputs:
        assert token not in output
        assert signature not in output


@pytest.mark.usefixtures("hs256_auth")
def test_accepted_token_is_not_logged(
    captured_logs: LogCapture, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a valid token
    token = hs256(claims("CUSTOMER", "cust-42"))
    # WHEN the authorizer accepts it
    response = handler(authorizer_event(protocol_header=browser_protocol_header(token)), None)
    # THEN the log says so, without the token, and the context holds no token either
    assert '"connection allowed"' in captured_logs.text
    assert_token_absent(token, captured_logs.text, capsys.readouterr().out, repr(response))


@pytest.mark.usefixtures("hs256_auth")
def test_rejected_token_is_not_logged(
    captured_logs: LogCapture, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a token signed with the wrong key, sent as a query parameter
    token = hs256(claims("ADMIN", None), secret=OTHER_SECRET)
    # WHEN the authorizer denies it
    response = handler(authorizer_event(query=token_query(token)), None)
    # THEN the log names the reason, not the token
    assert '"reason":"bad signature"' in captured_logs.text
    assert_token_absent(token, captured_logs.text, capsys.readouterr().out, repr(response))


@pytest.mark.usefixtures("hs256_auth")
def test_malformed_token_is_not_logged(
    captured_logs: LogCapture, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a token whose header is not JSON (PyJWT's messages could quote it)
    token = "eyJub3QtanNvbg.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXBhcnQ"
    # WHEN the authorizer denies it
    handler(authorizer_event(protocol_header=browser_protocol_header(token)), None)
    # THEN neither the token nor its parts are logged
    assert '"connection denied"' in captured_logs.text
    assert_token_absent(token, captured_logs.text, capsys.readouterr().out)
    assert "eyJub3QtanNvbg" not in captured_logs.text


@pytest.mark.usefixtures("hs256_auth")
def test_token_as_the_only_subprotocol_is_refused_with_its_reason_logged(
    captured_logs: LogCapture, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a valid token offered as the only subprotocol (no alexho-invoice.v1)
    token = hs256(claims("CUSTOMER", "cust-42"))
    # WHEN the authorizer runs
    with pytest.raises(Exception, match=r"^Unauthorized$"):  # API Gateway: 401
        handler(authorizer_event(protocol_header=token), None)
    # THEN it refuses with 401, the log says why, and the token is nowhere
    assert '"connection unauthorized"' in captured_logs.text
    assert '"reason":"token offered as a subprotocol without alexho-invoice.v1"' in (
        captured_logs.text
    )
    output = capsys.readouterr().out
    assert '"ConnectUnauthorized":1' in output
    assert_token_absent(token, captured_logs.text, output)
