"""Who sees what (docs/architecture.md §3): the one place the visibility rule is written down."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alexho_invoice_runtime.contract.probe import probe_connection_id
from alexho_invoice_runtime.definitions import (
    ADMIN,
    ADMIN_AUDIENCE,
    CUSTOMER,
    CUSTOMER_AUDIENCE_PREFIX,
)

DRAFT_STATUS = "DRAFT"


def customer_audience(customer_id: str) -> str:
    """The audience of one customer's connections."""
    return f"{CUSTOMER_AUDIENCE_PREFIX}{customer_id}"


def audience_for(user_type: str, customer_id: str | None) -> str:
    """The single audience of a connection, from its verified identity."""
    if user_type == ADMIN:
        return ADMIN_AUDIENCE
    if user_type == CUSTOMER and customer_id:
        return customer_audience(customer_id)
    raise ValueError("a connection is either ADMIN or a CUSTOMER with a customerId")


def audiences_for_event(event: Mapping[str, Any]) -> tuple[str, ...]:
    """Audiences an event reaches: admins always; its customer once it is no longer a draft.

    A probe (an event with ``probeconnectionid``) reaches no audience: only its one connection.
    """
    if probe_connection_id(event) is not None:
        return ()
    if event["data"]["status"] == DRAFT_STATUS:
        return (ADMIN_AUDIENCE,)
    return (ADMIN_AUDIENCE, customer_audience(event["customerid"]))
