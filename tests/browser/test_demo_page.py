"""The demo page in a real browser (Debian's headless chromium, Playwright) against a local stack:
who sees what, reconnect and ``resume`` after the gateway drops a connection, a clean console,
and a screenshot for people to look at (``build/screenshots/demo-page.png``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext

from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_local.stack import LocalStack
from alexho_invoice_publisher import InvoiceEventPublisher
from tests.browser.conftest import SCREENSHOTS, ConsoleProblems
from tests.browser.demo_page import DemoPage
from tests.local.conftest import wait_until
from tests.local.test_management_api import management_client

pytestmark = pytest.mark.slow

ContextFactory = Callable[[], BrowserContext]


def test_the_seed_scenario_reaches_each_pane_as_the_server_decides(
    endpoints: StackEndpoints, new_context: ContextFactory, console_problems: ConsoleProblems
) -> None:
    # GIVEN the page as a person opens it (admin, cust-42 and cust-99 side by side)
    # AND cust-42's portal alone, in a browser of its own
    url = str(endpoints.demo_page_url)
    demo = DemoPage.open(new_context(), url)
    portal = DemoPage.open(new_context(), url, "cust-42")
    console_problems.watch(demo.page)
    console_problems.watch(portal.page)

    # WHEN the admin creates a draft and updates it
    invoice_id, created = demo.press("INVOICE_CREATED")
    _, updated = demo.press("INVOICE_UPDATED")
    assert wait_until(lambda: demo.notified_event_ids("admin") == [updated, created])

    # THEN only the admin has it
    assert demo.invoice_statuses("admin") == {invoice_id: "DRAFT"}
    assert portal.invoice_statuses("cust-42") == {}
    assert demo.invoice_statuses("cust-42") == {}

    # WHEN the admin sends it
    _, sent = demo.press("INVOICE_SENT")

    # THEN cust-42 sees it, as sent, in both browsers (the one-second promise is measured by
    # benchmarks/browser_latency.py, not timed here: a loaded machine would make it flaky)
    portal.wait_invoice("cust-42", invoice_id, "SENT")
    demo.wait_invoice("cust-42", invoice_id, "SENT")
    assert portal.notifications("cust-42") == [f"You have a new invoice: {invoice_id}"]

    # WHEN it is paid and the payment recorded
    _, paid = demo.press("INVOICE_PAID")
    _, recorded = demo.press("PAYMENT_RECORDED")

    # THEN cust-42 got the three events from SENT on, worded for a customer
    assert wait_until(lambda: len(portal.notified_event_ids("cust-42")) == 3)
    assert portal.notified_event_ids("cust-42") == [recorded, paid, sent]
    assert portal.invoice_statuses("cust-42") == {invoice_id: "PAID"}
    assert portal.notifications("cust-42")[1] == f"Your invoice {invoice_id} is paid"
    assert wait_until(lambda: len(demo.notified_event_ids("cust-42")) == 3)
    # AND the admin all five, worded for an admin
    assert wait_until(lambda: len(demo.notified_event_ids("admin")) == 5)
    assert demo.notified_event_ids("admin") == [recorded, paid, sent, updated, created]
    assert demo.notifications("admin")[1] == f"Invoice {invoice_id} was paid (cust-42)"
    # AND cust-99 nothing at all
    assert demo.invoice_statuses("cust-99") == {}
    assert demo.notified_event_ids("cust-99") == []
    assert console_problems.messages == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    demo.page.screenshot(path=SCREENSHOTS / "demo-page.png", full_page=True)


def test_a_dropped_connection_reconnects_and_resumes_what_it_missed(
    stack: LocalStack,
    publisher: InvoiceEventPublisher,
    new_context: ContextFactory,
    console_problems: ConsoleProblems,
) -> None:
    # GIVEN cust-42's page, connected, that has seen an invoice sent
    url = str(stack.endpoints.demo_page_url)
    before = set(stack.open_connection_ids())
    context = new_context()
    page = DemoPage.open(context, url, "cust-42")
    console_problems.watch(page.page)
    (connection_id,) = set(stack.open_connection_ids()) - before
    # AND a second cust-42 portal in another browser, which stays online throughout
    witness = DemoPage.open(new_context(), url, "cust-42")
    console_problems.watch(witness.page)
    publisher.publish("INVOICE_SENT", "inv-resume", "cust-42", {"status": "SENT", "version": 1})
    page.wait_invoice("cust-42", "inv-resume", "SENT")

    # WHEN the gateway drops the first page's connection (Management API DELETE) while its
    # browser is offline, and the invoice is paid before it is back
    context.set_offline(True)
    management_client(stack.endpoints.callback_url).delete_connection(ConnectionId=connection_id)
    page.wait_status("cust-42", "reconnecting")
    paid = publisher.publish(
        "INVOICE_PAID", "inv-resume", "cust-42", {"status": "PAID", "version": 2}
    )
    # (the fan-out has posted to cust-42's connections once the witness shows it)
    witness.wait_invoice("cust-42", "inv-resume", "PAID")
    # (a resume replays a window before its cursor, so earlier tests' invoices may show too)
    assert page.invoice_statuses("cust-42")["inv-resume"] == "SENT"
    context.set_offline(False)

    # THEN the page reconnects on a new connection and gets the missed event through resume
    page.wait_invoice("cust-42", "inv-resume", "PAID")
    page.wait_status("cust-42", "open")
    assert paid.event_id in page.notified_event_ids("cust-42")
    assert connection_id not in stack.open_connection_ids()
    # (the client keeps trying while its browser is offline: Chromium logs each refused attempt)
    assert [m for m in console_problems.messages if "ERR_INTERNET_DISCONNECTED" not in m] == []
