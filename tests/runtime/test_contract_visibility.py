"""Who sees what (docs/architecture.md §3): admins every event, a customer its own non-draft
invoices only."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alexho_invoice_runtime.contract import (
    audience_for,
    audiences_for_event,
    build_event,
    customer_audience,
    status_values,
)

customer_ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,20}", fullmatch=True)


def event(customer_id: str, status: str) -> dict[str, object]:
    return dict(
        build_event("INVOICE_UPDATED", "inv-1", customer_id, {"status": status}, source="t")
    )


def test_admin_connection_has_the_admin_audience() -> None:
    assert audience_for("ADMIN", None) == "ADMIN"


def test_customer_connection_has_its_own_audience() -> None:
    assert audience_for("CUSTOMER", "cust-42") == "CUSTOMER#cust-42" == customer_audience("cust-42")


@pytest.mark.parametrize(
    ("user_type", "customer_id"), [("CUSTOMER", None), ("CUSTOMER", ""), ("ROOT", "c")]
)
def test_anything_else_has_no_audience(user_type: str, customer_id: str | None) -> None:
    with pytest.raises(ValueError, match="ADMIN or a CUSTOMER"):
        audience_for(user_type, customer_id)


def test_draft_reaches_admins_only() -> None:
    assert audiences_for_event(event("cust-42", "DRAFT")) == ("ADMIN",)


def test_sent_invoice_reaches_admins_and_its_customer() -> None:
    assert audiences_for_event(event("cust-42", "SENT")) == ("ADMIN", "CUSTOMER#cust-42")


@settings(max_examples=200, deadline=None)
@given(
    owner=customer_ids,
    viewer=customer_ids,
    status=st.sampled_from(status_values()),
)
def test_a_customer_sees_exactly_its_own_non_draft_events(
    owner: str, viewer: str, status: str
) -> None:
    # GIVEN an event of `owner` and a connection of customer `viewer`
    audiences = audiences_for_event(event(owner, status))
    # THEN admins always receive it, and the viewer exactly when it owns a non-draft invoice
    assert "ADMIN" in audiences
    assert (audience_for("CUSTOMER", viewer) in audiences) == (
        viewer == owner and status != "DRAFT"
    )
