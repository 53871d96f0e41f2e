"""One socket per browser, per identity: the demo page in two tabs of one browser holds one
connection per pane identity; both tabs show every event; closing the leader tab loses nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext

from alexho_invoice_local.stack import LocalStack
from alexho_invoice_publisher import InvoiceEventPublisher
from tests.browser.conftest import ConsoleProblems
from tests.browser.demo_page import DemoPage
from tests.local.conftest import wait_until

pytestmark = pytest.mark.slow

PANES = ("admin", "cust-42", "cust-99")


def test_two_tabs_share_one_connection_per_identity_and_the_last_tab_loses_nothing(
    stack: LocalStack,
    publisher: InvoiceEventPublisher,
    new_context: Callable[[], BrowserContext],
    console_problems: ConsoleProblems,
) -> None:
    # GIVEN the demo page (admin, cust-42, cust-99) open in two tabs of one browser
    url = str(stack.endpoints.demo_page_url)
    before = set(stack.open_connection_ids())
    browser = new_context()
    first = DemoPage.open(browser, url)
    second = DemoPage.open(browser, url)
    console_problems.watch(first.page)
    console_problems.watch(second.page)

    # THEN the stack holds one connection per pane identity, not one per pane and tab
    assert wait_until(lambda: len(set(stack.open_connection_ids()) - before) == len(PANES))
    leaders = set(stack.open_connection_ids()) - before

    # WHEN an invoice is sent to cust-42
    sent = publisher.publish(
        "INVOICE_SENT", "inv-tabs", "cust-42", {"status": "SENT", "version": 1}
    )

    # THEN both tabs show it, in the admin's pane and in cust-42's, and cust-99 sees nothing
    for tab in (first, second):
        tab.wait_invoice("admin", "inv-tabs", "SENT")
        tab.wait_invoice("cust-42", "inv-tabs", "SENT")
        assert tab.invoice_statuses("cust-99") == {}

    # WHEN the first tab (which holds the connections) closes and the invoice is paid at once
    first.page.close()
    paid = publisher.publish(
        "INVOICE_PAID", "inv-tabs", "cust-42", {"status": "PAID", "version": 2}
    )

    # THEN the second tab takes the connections over and gets the payment, each event once
    second.wait_invoice("cust-42", "inv-tabs", "PAID")
    second.wait_invoice("admin", "inv-tabs", "PAID")
    for pane in ("admin", "cust-42"):
        assert second.notified_event_ids(pane) == [paid.event_id, sent.event_id]
    assert wait_until(lambda: len(set(stack.open_connection_ids()) - before) == len(PANES))
    assert not leaders & set(stack.open_connection_ids())
    for pane in PANES:
        second.wait_status(pane, "open")
    assert console_problems.messages == []
