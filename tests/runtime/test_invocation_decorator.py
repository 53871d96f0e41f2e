"""``observability.lambda_invocation``, the per-invocation decorator of every handler, and
``settings.integer``, the one reader of integer settings."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from alexho_invoice_runtime import observability, settings
from alexho_invoice_runtime.observability import Metrics, get_logger, lambda_invocation
from tests.runtime.conftest import LogCapture

_log = get_logger(__name__)


@dataclass(frozen=True)
class LambdaContext:
    """The one attribute of Lambda's context object the decorator reads."""

    aws_request_id: str


@lambda_invocation()
def counting_handler(event: dict[str, Any], context: Any, metrics: Metrics) -> str:
    metrics.add("Seen", 1)
    _log.info("handled")
    if event.get("fail"):
        raise RuntimeError("boom")
    return "ok"


def websocket_event(request_id: str = "req-1", **extra: Any) -> dict[str, Any]:
    return {"requestContext": {"requestId": request_id, "connectionId": "conn-1"}, **extra}


def log_lines(logs: LogCapture) -> list[dict[str, Any]]:
    return [json.loads(line) for line in logs.text.splitlines()]


def emf_documents(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith('{"_aws"')]


def test_only_the_first_invocation_of_a_container_logs_a_cold_start(
    captured_logs: LogCapture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(observability, "_cold_start", True)  # a fresh container
    counting_handler(websocket_event("req-1"), LambdaContext("lambda-1"))
    counting_handler(websocket_event("req-2"), LambdaContext("lambda-2"))
    assert [
        (line["cold_start"], line["function_request_id"]) for line in log_lines(captured_logs)
    ] == [
        (True, "lambda-1"),
        (False, "lambda-2"),
    ]


def test_the_correlation_id_is_the_request_id_and_is_cleared_after(
    captured_logs: LogCapture,
) -> None:
    counting_handler(websocket_event("req-7"), None)
    _log.info("between invocations")
    first, after = log_lines(captured_logs)
    assert first["correlation_id"] == "req-7"
    assert "correlation_id" not in after
    assert "cold_start" not in after


def test_metrics_are_flushed_once_per_invocation_even_when_the_handler_raises(
    capsys: pytest.CaptureFixture[str],
) -> None:
    counting_handler(websocket_event(), None)
    with pytest.raises(RuntimeError, match="boom"):
        counting_handler(websocket_event(fail=True), None)
    documents = emf_documents(capsys.readouterr().out)
    assert [document["Seen"] for document in documents] == [1.0, 1.0]


@pytest.mark.parametrize(
    ("text", "expected"), [("", 7), ("  ", 7), ("0", 0), ("12", 12), ("-3", -3)]
)
def test_an_integer_setting_is_read_or_defaulted(text: str, expected: int) -> None:
    assert settings.integer("N", default=7, low=-5, high=20, environ={"N": text}) == expected


@pytest.mark.parametrize("text", ["+5", "1_000", "5.0", "five", "21", "-6"])
def test_anything_else_is_refused_with_the_callers_error_naming_the_variable(text: str) -> None:
    class OwnError(Exception):
        pass

    with pytest.raises(OwnError, match=r"^N must be a whole number from -5 to 20"):
        settings.integer("N", default=7, low=-5, high=20, environ={"N": text}, error=OwnError)


def test_a_required_setting_that_is_blank_is_an_error() -> None:
    with pytest.raises(settings.SettingError, match="TABLE_NAME is not set"):
        settings.required("TABLE_NAME", {"TABLE_NAME": " "})
