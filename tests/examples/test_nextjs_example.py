"""``examples/nextjs`` in headless chromium against a local stack: the App Router page, its token
route minting with ``@alexho/invoice-realtime/server``, and the hook showing events live."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Final

import pytest
from playwright.sync_api import BrowserContext, Page, Route

from alexho_invoice_publisher import InvoiceEventPublisher
from tests.browser.conftest import ConsoleProblems
from tests.examples import nextjs_app

ARRIVAL_TIMEOUT_MS: Final = 5_000
CONNECT_TIMEOUT_MS: Final = 15_000

pytestmark = pytest.mark.slow


def sign_in(context: BrowserContext, app_url: str, as_user: str, problems: ConsoleProblems) -> Page:
    """Sign in through the example's ``/sign-in`` and wait until its socket is open."""
    page = problems.watch(context.new_page())
    page.goto(f"{app_url}/sign-in?as={as_user}")
    page.wait_for_selector('section[data-connection-status="open"]', timeout=CONNECT_TIMEOUT_MS)
    return page


def wait_invoice(page: Page, invoice_id: str, status: str) -> None:
    """Wait until the page lists ``invoice_id`` with ``status``."""
    row = f'tr[data-invoice-id="{invoice_id}"][data-status="{status}"]'
    page.wait_for_selector(row, timeout=ARRIVAL_TIMEOUT_MS)


def new_invoice_id() -> str:
    return f"INV-{uuid.uuid4().hex[:8]}"


def test_customer_page_shows_its_invoice_sent_live(
    app_url: str,
    publisher: InvoiceEventPublisher,
    new_context: Callable[[], BrowserContext],
    console_problems: ConsoleProblems,
) -> None:
    # GIVEN customer cust-42 signed in, its page connected with a token from the example's route
    page = sign_in(new_context(), app_url, "cust-42", console_problems)
    invoice_id = new_invoice_id()
    # WHEN the backend sends it an invoice
    result = publisher.publish_invoice_sent(invoice_id, "cust-42", {"status": "SENT"})
    # THEN the page lists it as sent and notifies it in the customer's words
    wait_invoice(page, invoice_id, "SENT")
    note = page.locator(f'li[data-event-id="{result.event_id}"]')
    assert note.inner_text() == f"You have a new invoice: {invoice_id}"
    assert page.locator("[data-user-type]").get_attribute("data-user-type") == "CUSTOMER"
    assert console_problems.messages == []


def test_admin_page_shows_every_customers_invoices(
    app_url: str,
    publisher: InvoiceEventPublisher,
    new_context: Callable[[], BrowserContext],
    console_problems: ConsoleProblems,
) -> None:
    # GIVEN an admin signed in
    page = sign_in(new_context(), app_url, "admin", console_problems)
    first, second = new_invoice_id(), new_invoice_id()
    # WHEN invoices of two customers change
    publisher.publish_invoice_created(first, "cust-7", {"status": "DRAFT"})
    publisher.publish_invoice_paid(second, "cust-8", {"status": "PAID"})
    # THEN the admin's page lists both
    wait_invoice(page, first, "DRAFT")
    wait_invoice(page, second, "PAID")
    assert console_problems.messages == []


def test_event_published_before_the_socket_opens_is_replayed_since_the_page_loaded(
    app_url: str,
    publisher: InvoiceEventPublisher,
    new_context: Callable[[], BrowserContext],
    console_problems: ConsoleProblems,
) -> None:
    # GIVEN a customer's page rendered, whose token request is held back until an event is out
    context = new_context()
    invoice_id = new_invoice_id()

    def publish_then_answer(route: Route) -> None:
        publisher.publish_invoice_sent(invoice_id, "cust-43", {"status": "SENT"})
        route.continue_()

    context.route("**/api/realtime-token", publish_then_answer)
    # WHEN the socket opens after the event was published
    page = sign_in(context, app_url, "cust-43", console_problems)
    # THEN the page still shows it: the provider's `since` replays what came after the render
    wait_invoice(page, invoice_id, "SENT")
    assert console_problems.messages == []


def test_browser_bundle_holds_none_of_the_server_entry(app_url: str) -> None:
    # GIVEN the example built (its token route imports @alexho/invoice-realtime/server)
    chunks = sorted((nextjs_app.EXAMPLE / ".next" / "static").rglob("*.js"))
    # WHEN its browser chunks are read
    texts = [chunk.read_text("utf-8", errors="replace") for chunk in chunks]
    # THEN they hold the hook but nothing of the token minter, its key or its environment
    assert any("alexho-invoice.v1" in text for text in texts)
    for marker in ("createHmac", "INVOICE_TOKEN_SECRET_ARN", "GetSecretValueCommand"):
        assert not any(marker in text for text in texts), marker
