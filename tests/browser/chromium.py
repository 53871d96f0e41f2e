"""Debian's chromium as the browser tests and the browser benchmark launch it."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from playwright.sync_api import Browser, Playwright, ViewportSize

#: Installed by ``make setup`` (Debian's package); ``playwright install`` is never run.
CHROMIUM: Final = Path("/usr/bin/chromium")
CHROMIUM_ARGS: Final = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
VIEWPORT: Final = ViewportSize(width=1400, height=900)
MISSING: Final = f"{CHROMIUM} is missing: run `make setup` (it installs Debian's chromium)"


def launch_chromium(playwright: Playwright) -> Browser:
    """Headless chromium from :data:`CHROMIUM` (raises ``FileNotFoundError`` when missing)."""
    if not CHROMIUM.exists():
        raise FileNotFoundError(MISSING)
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
