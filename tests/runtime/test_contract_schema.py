"""The runtime's small schema validator agrees with the reference ``jsonschema`` library
(Draft 2020-12) on the envelope schema: on valid envelopes, on envelopes broken in one place and
on arbitrary JSON values, generated with hypothesis."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from alexho_invoice_runtime.contract import EventType, schema, status_values
from alexho_invoice_runtime.contract.schema_validator import SchemaValidator

SCHEMA = schema()
REFERENCE = Draft202012Validator(SCHEMA)
OURS = SchemaValidator(SCHEMA)
IDENTIFIER = SCHEMA["$defs"]["identifier"]["pattern"]
EVENT_ID = SCHEMA["properties"]["id"]["pattern"]
REQUIRED = tuple(SCHEMA["required"])
DATA_REQUIRED = tuple(SCHEMA["properties"]["data"]["required"])
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def no_trailing_newline(value: str) -> bool:
    # ECMA-262 "$" (what JSON Schema specifies) never matches before a final newline; Python's
    # re, which jsonschema uses, does. That one divergence is tested on its own below.
    return not value.endswith("\n")


def matching(pattern: str) -> st.SearchStrategy[str]:
    return st.from_regex(pattern, fullmatch=True).filter(no_trailing_newline)


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20).filter(no_trailing_newline)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
timestamps = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2999, 12, 31), timezones=st.just(UTC)
).map(lambda moment: moment.isoformat().replace("+00:00", "Z"))


@st.composite
def envelopes(draw: st.DrawFn) -> dict[str, Any]:
    """Envelopes valid against the schema (ids consistent or not: that is not a schema rule)."""
    invoice_id = draw(matching(IDENTIFIER))
    customer_id = draw(matching(IDENTIFIER))
    data: dict[str, Any] = draw(
        st.dictionaries(
            st.text(max_size=12).filter(
                lambda k: k not in {"invoiceId", "customerId", "status", "version"}
            ),
            json_values,
            max_size=3,
        )
    )
    data.update(
        invoiceId=invoice_id,
        customerId=customer_id,
        status=draw(st.sampled_from(status_values())),
    )
    if draw(st.booleans()):
        data["version"] = draw(st.integers(min_value=0, max_value=10**9))
    envelope = {
        "specversion": "1.0",
        "id": draw(matching(EVENT_ID)),
        "source": draw(st.text(min_size=1, max_size=40).filter(no_trailing_newline)),
        "type": draw(st.sampled_from([str(t) for t in EventType])),
        "time": draw(timestamps),
        "subject": invoice_id,
        "customerid": customer_id,
        "data": data,
    }
    if draw(st.booleans()):
        envelope["datacontenttype"] = "application/json"
    return envelope


@st.composite
def broken_envelopes(draw: st.DrawFn) -> dict[str, Any]:
    """A valid envelope with one thing changed (most changes make it invalid)."""
    envelope = copy.deepcopy(draw(envelopes()))
    how = draw(
        st.sampled_from(
            ["drop", "drop-data", "extra", "retype", "retype-data", "pattern", "enum", "version"]
        )
    )
    if how == "drop":
        del envelope[draw(st.sampled_from(REQUIRED))]
    elif how == "drop-data":
        del envelope["data"][draw(st.sampled_from(DATA_REQUIRED))]
    elif how == "extra":
        envelope[
            draw(st.text(min_size=1, max_size=10).filter(lambda k: k not in SCHEMA["properties"]))
        ] = draw(json_values)
    elif how == "retype":
        envelope[draw(st.sampled_from(REQUIRED))] = draw(json_values)
    elif how == "retype-data":
        envelope["data"][draw(st.sampled_from((*DATA_REQUIRED, "version")))] = draw(json_values)
    elif how == "pattern":
        field = draw(st.sampled_from(["id", "subject", "customerid", "time"]))
        envelope[field] = draw(st.sampled_from(["", "-lead", "a/b", "a b", "x" * 200, "é"]))
    elif how == "enum":
        envelope[draw(st.sampled_from(["type", "specversion"]))] = draw(
            st.sampled_from(["invoice_sent", "INVOICE", "1", "2.0", ""])
        )
    else:
        envelope["data"]["version"] = draw(st.sampled_from([-1, 1.5, "7", True, None, 2.0]))
    return envelope


def agree(instance: Any) -> None:
    reference_valid = REFERENCE.is_valid(instance)
    our_errors = OURS.errors(instance)
    assert reference_valid == (not our_errors), (reference_valid, our_errors)


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)


@SETTINGS
@given(envelopes())
def test_both_accept_valid_envelopes(envelope: dict[str, Any]) -> None:
    assert REFERENCE.is_valid(envelope)
    assert OURS.errors(envelope) == []


@SETTINGS
@given(broken_envelopes())
def test_both_judge_broken_envelopes_alike(envelope: dict[str, Any]) -> None:
    agree(envelope)


@SETTINGS
@given(json_values)
def test_both_judge_arbitrary_json_alike(value: Any) -> None:
    agree(value)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"specversion": 1.0}, id="specversion-number"),
        pytest.param({"type": "INVOICE_VOIDED"}, id="unknown-type"),
        pytest.param({"id": "-starts-with-dash"}, id="id-pattern"),
        pytest.param({"time": "27/11/2026"}, id="time-pattern"),
        pytest.param({"source": ""}, id="empty-source"),
        pytest.param({"data": []}, id="data-array"),
        pytest.param({"extra": 1}, id="unknown-property"),
    ],
)
def test_both_reject_classic_mistakes(change: dict[str, Any]) -> None:
    envelope = {
        "specversion": "1.0",
        "id": "evt-1",
        "source": "invoice-service",
        "type": "INVOICE_SENT",
        "time": "2026-11-27T17:00:00Z",
        "subject": "inv-1",
        "customerid": "cust-1",
        "data": {"invoiceId": "inv-1", "customerId": "cust-1", "status": "SENT"},
        **change,
    }
    assert not REFERENCE.is_valid(envelope)
    assert OURS.errors(envelope)


def test_trailing_newline_in_an_identifier_is_rejected_as_ecma_262_specifies() -> None:
    # GIVEN an identifier that is valid but for a final newline
    value = "cust-1\n"
    # THEN our validator rejects it (ECMA-262 "$" is end of input), as JSON Schema specifies;
    # Python's re (jsonschema's engine) would accept it, which is why we do not copy that.
    identifier_schema = {"$defs": SCHEMA["$defs"], "$ref": "#/$defs/identifier"}
    assert SchemaValidator(identifier_schema).errors(value)
    assert re.search(IDENTIFIER, value)  # the Python-regex reading that jsonschema uses


def test_error_messages_name_the_path_but_never_the_value() -> None:
    secret = "card 4111 1111 1111 1111"
    errors = OURS.errors({"specversion": "1.0", "id": secret, "data": {"status": secret}})
    assert any(error.startswith("$.id:") for error in errors)
    assert not any(secret in error for error in errors)
