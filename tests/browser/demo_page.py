"""The demo page as a test drives it: panes, their invoices and notifications, the buttons."""

from __future__ import annotations

from typing import Final

from playwright.sync_api import BrowserContext, Locator, Page

from alexho_invoice_local.cli.seed_scenario import ARRIVAL_TIMEOUT_SECONDS

#: How long a test waits for something the design promises "within a second".
ARRIVAL_TIMEOUT_MS: Final = ARRIVAL_TIMEOUT_SECONDS * 1000
CONNECT_TIMEOUT_MS: Final = 15_000


class DemoPage:
    """One tab showing some panes (``admin``, or a customer id) of the demo page."""

    def __init__(self, page: Page) -> None:
        self.page = page

    @classmethod
    def open(cls, context: BrowserContext, url: str, *panes: str) -> DemoPage:
        """Open the page with ``panes`` (all three when none) and wait until each is connected."""
        page = context.new_page()
        query = "&".join(f"pane={pane}" for pane in panes)
        page.goto(f"{url}?{query}" if query else url)
        demo = cls(page)
        for pane in panes or ("admin", "cust-42", "cust-99"):
            demo.wait_status(pane, "open", CONNECT_TIMEOUT_MS)
        return demo

    def pane(self, key: str) -> Locator:
        """The pane of ``admin`` or of a customer id."""
        return self.page.locator(f'section[data-pane="{key}"]')

    def status(self, key: str) -> str | None:
        """The pane's connection status (``open``, ``reconnecting``, ...)."""
        return self.pane(key).get_attribute("data-connection-status")

    def wait_status(self, key: str, status: str, timeout_ms: float = ARRIVAL_TIMEOUT_MS) -> None:
        """Wait until the pane's connection has ``status``."""
        self.page.wait_for_selector(
            f'section[data-pane="{key}"][data-connection-status="{status}"]', timeout=timeout_ms
        )

    def wait_invoice(self, key: str, invoice_id: str, status: str) -> None:
        """Wait until the pane lists ``invoice_id`` with ``status``."""
        row = f'tr[data-invoice-id="{invoice_id}"][data-status="{status}"]'
        self.page.wait_for_selector(f'section[data-pane="{key}"] {row}', timeout=ARRIVAL_TIMEOUT_MS)

    def invoice_statuses(self, key: str) -> dict[str, str]:
        """Invoice id → status, as the pane lists them now."""
        rows = self.pane(key).locator("tr[data-invoice-id]")
        return {
            str(row.get_attribute("data-invoice-id")): str(row.get_attribute("data-status"))
            for row in rows.all()
        }

    def notified_event_ids(self, key: str) -> list[str]:
        """Ids of the events the pane showed a notification for, newest first."""
        items = self.pane(key).locator("li[data-event-id]")
        return [str(item.get_attribute("data-event-id")) for item in items.all()]

    def notifications(self, key: str) -> list[str]:
        """The notification texts of the pane, newest first (without their time)."""
        items = self.pane(key).locator("li[data-event-id]")
        return [item.inner_text().split(" ", 1)[1] for item in items.all()]

    def press(self, event_type: str) -> tuple[str, str]:
        """Press the button that publishes ``event_type``; returns (invoice id, event id)."""
        scenario = self.page.locator("section.scenario")
        attempts = int(scenario.get_attribute("data-publish-attempts") or 0)
        self.page.click(f'button[data-event-type="{event_type}"]')
        self.page.wait_for_selector(
            f'section.scenario[data-publish-attempts="{attempts + 1}"]', timeout=ARRIVAL_TIMEOUT_MS
        )
        latest = self.page.locator(".publish-log li").first
        assert latest.inner_text().startswith(f"Published {event_type} "), latest.inner_text()
        invoice_id = scenario.get_attribute("data-current-invoice")
        event_id = latest.get_attribute("data-published-event-id")
        assert invoice_id
        assert event_id
        return invoice_id, event_id
