"""Answers of AWS's JSON protocol (DynamoDB, Secrets Manager): a JSON object, or an error
named by its ``__type``."""

from __future__ import annotations

import json
from typing import Any

from alexho_invoice_runtime.aws.errors import AwsError

#: ``code`` of a successful answer whose body is not a JSON object (a proxy's HTML page, say).
MALFORMED_RESPONSE = "MalformedResponse"


def json_answer(status: int, body: bytes) -> dict[str, Any]:
    """The JSON object of a 2xx answer; raises :class:`AwsError` with the service's error type
    and message for any other status (``UnknownError`` when the body names none), and
    :data:`MALFORMED_RESPONSE` for a 2xx body that is not a JSON object."""
    answer = _json_object(body)
    if 200 <= status < 300:
        if answer is None:
            raise AwsError(MALFORMED_RESPONSE, status)
        return answer
    answer = answer or {}
    code = str(answer.get("__type", "")).rpartition("#")[2] or "UnknownError"
    message = str(answer.get("message") or answer.get("Message") or "")
    raise AwsError(code, status, message)


def _json_object(data: bytes) -> dict[str, Any] | None:
    try:
        parsed = json.loads(data or b"{}")
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None
