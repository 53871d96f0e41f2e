"""Headless Debian chromium, driven by Playwright, against the demo page of a local stack.

One stack per module (the fixtures of ``tests/local/conftest.py``) and one browser per module;
each test opens its own browser contexts (separate cookie jars and connections, like separate
browsers). Every page's console errors and uncaught exceptions are collected and must stay empty.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

from alexho_invoice_local.settings import StackSettings
from alexho_invoice_local.web.page_files import BUILD_HINT, DEFAULT_PAGE_DIR, page_is_built
from tests.browser.chromium import CHROMIUM, MISSING, VIEWPORT, launch_chromium
from tests.browser.loopback_namespace import HOW_TO_ISOLATE, namespace_available, only_loopback
from tests.local.conftest import endpoints, publisher, stack, tokens

__all__ = ["endpoints", "publisher", "stack", "tokens"]

SCREENSHOTS: Final = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@dataclass
class ConsoleProblems:
    """Console errors and uncaught exceptions of the pages a test opened."""

    messages: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> Page:
        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.messages.append(f"{page.url}: console error: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.messages.append(f"{page.url}: {error}"))
        return page


@pytest.fixture(scope="module")
def stack_settings() -> StackSettings:
    """Free ports; moto and the fan-out in this process, which starts and stops in a fraction
    of the time (the Lambda code is the same; ``tests/local`` covers the process layout)."""
    return StackSettings(
        websocket_port=0,
        management_port=0,
        moto_port=0,
        moto_in_process=True,
        fanout_in_processes=False,
        retry_delays_seconds=(0.1, 0.2),
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium (``make setup`` installs it; ``playwright install`` is never run), in
    a network namespace with only ``lo`` wherever one can be made."""
    if not CHROMIUM.exists():
        pytest.fail(MISSING)
    if namespace_available() and not only_loopback():
        pytest.fail(f"chromium must run where only loopback exists: {HOW_TO_ISOLATE}")
    if not page_is_built(DEFAULT_PAGE_DIR):
        pytest.fail(BUILD_HINT)
    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        yield launched
        launched.close()


@pytest.fixture
def console_problems() -> ConsoleProblems:
    """Collects what the test's pages log as errors (the test asserts it stays empty)."""
    return ConsoleProblems()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[[], BrowserContext]]:
    """Opens browser contexts for the test and closes them after it."""
    opened: list[BrowserContext] = []

    def open_context() -> BrowserContext:
        context = browser.new_context(viewport=VIEWPORT)
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        context.close()
