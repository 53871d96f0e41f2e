"""Answers of AWS's JSON protocol, as DynamoDB and Secrets Manager send them."""

from __future__ import annotations

import pytest

from alexho_invoice_runtime.aws.errors import AwsError
from alexho_invoice_runtime.aws.json_protocol import MALFORMED_RESPONSE, json_answer


def test_a_successful_answer_is_its_json_object() -> None:
    assert json_answer(200, b'{"SecretString": "s"}') == {"SecretString": "s"}


def test_an_error_answer_raises_its_type_and_message() -> None:
    body = b'{"__type": "com.amazonaws.x#ResourceNotFoundException", "Message": "no such secret"}'
    with pytest.raises(AwsError, match="no such secret") as raised:
        json_answer(400, body)
    assert (raised.value.code, raised.value.status) == ("ResourceNotFoundException", 400)


def test_an_error_page_that_is_not_json_keeps_its_status() -> None:
    # GIVEN a proxy's HTML page with a 503 (retried by its status)
    with pytest.raises(AwsError) as raised:
        json_answer(503, b"<html>Service Unavailable</html>")
    assert (raised.value.code, raised.value.status) == ("UnknownError", 503)


@pytest.mark.parametrize("body", [b"<html>proxy</html>", b"[1, 2]", b'"text"'])
def test_a_successful_answer_that_is_not_a_json_object_is_malformed(body: bytes) -> None:
    with pytest.raises(AwsError) as raised:
        json_answer(200, body)
    assert raised.value.code == MALFORMED_RESPONSE
