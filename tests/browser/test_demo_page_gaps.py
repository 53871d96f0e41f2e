"""The demo page says when it may have missed events: a gap shows as a "stale — refetch" badge."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext

from alexho_invoice_local.endpoints import StackEndpoints
from tests.browser.conftest import ConsoleProblems
from tests.browser.demo_page import CONNECT_TIMEOUT_MS, DemoPage

pytestmark = pytest.mark.slow


def test_a_page_whose_data_is_older_than_the_log_shows_itself_stale_until_refetched(
    endpoints: StackEndpoints,
    new_context: Callable[[], BrowserContext],
    console_problems: ConsoleProblems,
) -> None:
    # GIVEN cust-42's page whose data was loaded at the epoch (long before the log's retention)
    page = new_context().new_page()
    console_problems.watch(page)
    page.goto(f"{endpoints.demo_page_url}?pane=cust-42&since=1")
    demo = DemoPage(page)

    # WHEN its first connection resumes since then
    # THEN the client cannot prove continuity and the pane shows it stale
    demo.page.wait_for_selector(
        'section[data-pane="cust-42"][data-stale] .stale-badge', timeout=CONNECT_TIMEOUT_MS
    )
    assert demo.pane("cust-42").locator(".stale-badge").inner_text() == "STALE — REFETCH"

    # WHEN the app has refetched
    demo.pane("cust-42").get_by_role("button", name="Refetched").click()

    # THEN the badge is gone and the connection stayed open
    demo.page.wait_for_selector('section[data-pane="cust-42"]:not([data-stale])')
    assert demo.status("cust-42") == "open"
    assert console_problems.messages == []
