"""Debian's chromium as the browser tests and the browser benchmark launch it.

It runs in a network namespace with only ``lo`` where one can be made
(:mod:`tests.browser.loopback_namespace`). Its flags keep it on loopback without one too (a
non-root developer): every host name but ``localhost`` resolves to nothing, so neither its own
DNS client nor DNS-over-HTTPS has anything to ask; whatever is not loopback goes to a proxy on
a loopback port nothing listens on; component updates, sync, pings, phishing checks, domain
reliability reports and other background traffic are off. ``tests/browser/test_network_boundary.py``
proves it with ``strace``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from playwright.sync_api import Browser, Playwright, ViewportSize

#: Installed by ``make setup`` (Debian's package); ``playwright install`` is never run.
CHROMIUM: Final = Path("/usr/bin/chromium")
#: Where chromium sends every request that is not for loopback: the discard port, which nothing
#: serves here, so such a request fails at once and stays on this machine.
DEAD_PROXY: Final = "http://127.0.0.1:9"
CHROMIUM_ARGS: Final = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-default-apps",
    "--disable-breakpad",
    "--no-pings",
    f"--proxy-server={DEAD_PROXY}",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
)
VIEWPORT: Final = ViewportSize(width=1400, height=900)
MISSING: Final = f"{CHROMIUM} is missing: run `make setup` (it installs Debian's chromium)"


def launch_chromium(playwright: Playwright, executable: Path = CHROMIUM) -> Browser:
    """Headless chromium from :data:`CHROMIUM` (raises ``FileNotFoundError`` when missing);
    ``executable`` may be a wrapper that runs it (under strace)."""
    if not CHROMIUM.exists():
        raise FileNotFoundError(MISSING)
    return playwright.chromium.launch(executable_path=str(executable), args=list(CHROMIUM_ARGS))
