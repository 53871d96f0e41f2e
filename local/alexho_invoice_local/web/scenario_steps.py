"""The demo page's buttons: one seed-scenario step, published through the publisher SDK."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from alexho_invoice_local.cli.seed_scenario import (
    CUSTOMER_ID,
    INVOICE_ID,
    OTHER_CUSTOMER_ID,
    SEED_STEPS,
    ScenarioStep,
)
from alexho_invoice_publisher import InvoiceEventPublisher, PublishResult

#: The customers the page shows, in pane order (the seed's customer first).
DEMO_CUSTOMER_IDS: Final = (CUSTOMER_ID, OTHER_CUSTOMER_ID)
MAX_REQUEST_BYTES: Final = 4096
_STEP_BY_TYPE: Final = {str(step.event_type): step for step in SEED_STEPS}


class BadScenarioRequestError(ValueError):
    """A request body that names no step, or not as a JSON object of strings."""


@dataclass(frozen=True)
class ScenarioRequest:
    """Publish ``step`` for ``invoice_id`` of ``customer_id``."""

    step: ScenarioStep
    invoice_id: str
    customer_id: str


def scenario_catalog() -> list[dict[str, str]]:
    """The steps in the order the seed plays them: event type and the status it sets."""
    return [
        {"eventType": str(step.event_type), "status": str(step.data["status"])}
        for step in SEED_STEPS
    ]


def parse_scenario_request(body: bytes) -> ScenarioRequest:
    """``{"eventType": …, "invoiceId"?: …, "customerId"?: …}`` (defaults: the seed's invoice).

    Identifiers are checked by the publisher SDK against the contract when publishing.
    """
    try:
        fields = json.loads(body)
    except ValueError:
        raise BadScenarioRequestError("the body must be a JSON object") from None
    if not isinstance(fields, dict):
        raise BadScenarioRequestError("the body must be a JSON object")
    event_type = fields.get("eventType")
    step = _STEP_BY_TYPE.get(event_type) if isinstance(event_type, str) else None
    if step is None:
        raise BadScenarioRequestError(f"eventType must be one of {', '.join(_STEP_BY_TYPE)}")
    invoice_id = fields.get("invoiceId", INVOICE_ID)
    customer_id = fields.get("customerId", CUSTOMER_ID)
    if not isinstance(invoice_id, str) or not isinstance(customer_id, str):
        raise BadScenarioRequestError("invoiceId and customerId must be strings")
    return ScenarioRequest(step, invoice_id, customer_id)


def step_data(request: ScenarioRequest) -> dict[str, Any]:
    """The step's invoice fields, numbered after the invoice id."""
    data = dict(request.step.data)
    if "number" in data:
        data["number"] = request.invoice_id.upper()
    return data


def publish_step(publisher: InvoiceEventPublisher, request: ScenarioRequest) -> PublishResult:
    """Publish the step (raises the SDK's :class:`PublisherError` on bad ids or SNS errors)."""
    return publisher.publish(
        request.step.event_type, request.invoice_id, request.customer_id, step_data(request)
    )
