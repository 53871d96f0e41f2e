"""Publish → rendered in the demo page: latency in a real browser with the three panes open.

Starts ``alexho-local up`` in its own process (as ``make run`` does), opens the demo page in
Debian's headless chromium (Playwright) with its three panes (admin, cust-42, cust-99; one
WebSocket each), publishes events through the publisher SDK at a steady rate, and records when
each pane renders each event (a MutationObserver on the panes' notification items: the DOM
update, and the animation frame after it). Checks every delivery by event id: each expected
(pane, event) pair renders once, nothing else does. Prints p50 and p99 of publish → render, and
of publish → received by a Python WebSocket client (an admin, in this process) in the same run:
the difference is the browser's share.

Chromium and the stack run where nothing but loopback exists: as root (with util-linux
``unshare``) the script re-executes itself in a new network namespace with only ``lo``; otherwise
chromium's flags keep it on loopback (``tests/browser/chromium.py``).

    python -m benchmarks.browser_latency                 # 120 events at 5 per second
    python -m benchmarks.browser_latency --events 300 --rate 10
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from playwright.sync_api import Page, sync_playwright

from alexho_invoice_local.aws.publishing import local_publisher
from alexho_invoice_local.cli.client import InvoiceStreamClient
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_local.tokens import LocalTokens
from alexho_invoice_runtime.contract import EventType
from benchmarks.local_fanout_latency import EVENT_MIX, percentile, start_stack, stop_stack
from tests.browser.chromium import VIEWPORT, launch_chromium
from tests.browser.loopback_namespace import reexec_where_only_loopback_exists

TARGET_P99_MS: Final = 300.0
PANES: Final = ("admin", "cust-42", "cust-99")
CUSTOMERS: Final = ("cust-42", "cust-99")
#: Records [pane, event id, DOM time, next frame time] (epoch ms) for each notification rendered.
RENDER_PROBE: Final = """
() => {
  window.__rendered = [];
  const seen = (element) => {
    const pane = element.closest('section[data-pane]');
    if (pane === null) return;
    const entry = [pane.dataset.pane, element.dataset.eventId, Date.now(), 0];
    window.__rendered.push(entry);
    requestAnimationFrame(() => { entry[3] = Date.now(); });
  };
  new MutationObserver((mutations) => {
    for (const mutation of mutations) {
      for (const node of mutation.addedNodes) {
        if (node.nodeType !== 1) continue;
        if (node.matches('li[data-event-id]')) seen(node);
        node.querySelectorAll('li[data-event-id]').forEach(seen);
      }
    }
  }).observe(document.querySelector('main.panes'), { childList: true, subtree: true });
}
"""


@dataclass(frozen=True)
class Published:
    """One event the benchmark published."""

    event_id: str
    published_ms: float
    recipients: frozenset[str]


class PythonListener:
    """An admin WebSocket client on a thread of its own: the same events, without a browser."""

    def __init__(self, endpoints: StackEndpoints) -> None:
        self._url = endpoints.websocket_url
        self._token = LocalTokens(endpoints, ttl_seconds=600).admin("browser-benchmark")
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=asyncio.run, args=(self._listen(),), daemon=True)
        #: event id → epoch ms of arrival
        self.arrivals: dict[str, float] = {}

    def __enter__(self) -> PythonListener:
        self._thread.start()
        if not self._ready.wait(30):
            sys.exit("the Python listener could not connect")
        return self

    def __exit__(self, *_: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    async def _listen(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with InvoiceStreamClient(self._url, self._token) as client:
            self._ready.set()
            while not self._stop.is_set():
                try:
                    frame = await client.next_frame(timeout=0.2)
                except TimeoutError:
                    continue
                if frame.event is not None:
                    self.arrivals[str(frame.event["id"])] = time.time() * 1000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=120, help="at least 100 for a p99")
    parser.add_argument("--rate", type=float, default=5.0, help="events published per second")
    parser.add_argument("--invoices", type=int, default=20, help="events rotate over these")
    parser.add_argument(
        "--settle-seconds", type=float, default=15.0, help="longest wait for stragglers"
    )
    parser.add_argument("--workdir", type=Path, default=None, help="keep the stack's logs here")
    parser.add_argument("--stack-log-level", default="WARNING", help="of the Lambda handlers")
    return parser.parse_args()


def recipients_of(customer_id: str, status: str) -> frozenset[str]:
    """The panes the server should deliver to (admins always; the customer unless a draft)."""
    return frozenset({"admin"} if status == "DRAFT" else {"admin", customer_id})


def open_panes(page: Page, url: str) -> None:
    page.goto(url)
    for pane in PANES:
        page.wait_for_selector(
            f'section[data-pane="{pane}"][data-connection-status="open"]', timeout=30_000
        )
    page.evaluate(RENDER_PROBE)


def publish_all(endpoints: StackEndpoints, args: argparse.Namespace) -> list[Published]:
    """Publish at a steady rate; each event's time is taken just before its publish call."""
    publisher = local_publisher(endpoints, "browser-benchmark")
    published = []
    started = time.monotonic()
    for index in range(args.events):
        time.sleep(max(0.0, started + index / args.rate - time.monotonic()))
        event_type, status = EVENT_MIX[index % len(EVENT_MIX)]
        customer_id = CUSTOMERS[(index // len(EVENT_MIX)) % len(CUSTOMERS)]
        event_id = str(uuid.uuid4())
        published.append(
            Published(event_id, time.time() * 1000, recipients_of(customer_id, status))
        )
        publisher.publish(
            EventType(event_type),
            f"inv-bench-{index % args.invoices}",
            customer_id,
            {"status": status, "version": index + 1, "total": "100.00", "currency": "EUR"},
            event_id=event_id,
        )
    return published


def render_count(page: Page) -> int:
    return int(page.evaluate("() => window.__rendered.length"))


def summary(values: list[float]) -> str:
    if not values:
        return "n=0"
    return (
        f"n={len(values):<4} p50 {statistics.median(values):7.1f}  "
        f"p99 {percentile(values, 0.99):7.1f}  max {max(values):7.1f}"
    )


def report(
    published: list[Published],
    rendered: list[list[Any]],
    python_arrivals: dict[str, float],
    args: argparse.Namespace,
) -> int:
    sent = {event.event_id: event for event in published}
    expected = {(pane, event.event_id) for event in published for pane in event.recipients}
    counts = Counter((str(pane), str(event_id)) for pane, event_id, _, _ in rendered)
    dom_ms: dict[str, list[float]] = {pane: [] for pane in PANES}
    frame_ms: list[float] = []
    for pane, event_id, dom_at, frame_at in rendered:
        event = sent.get(event_id)
        if event is None or (pane, event_id) not in expected or counts[(pane, event_id)] > 1:
            continue
        dom_ms[pane].append(dom_at - event.published_ms)
        if frame_at:
            frame_ms.append(frame_at - event.published_ms)
    lost = len(expected - set(counts))
    duplicated = sum(1 for key, count in counts.items() if count > 1 and key in expected)
    misrouted = sum(1 for key in counts if key not in expected)
    every = [value for values in dom_ms.values() for value in values]
    print(
        f"{args.events} events at {args.rate:g}/s, 3 panes (one WebSocket each); "
        f"{len(expected)} expected renders: lost {lost}, duplicated {duplicated}, "
        f"misrouted {misrouted}"
    )
    python_ms = [
        python_arrivals[event.event_id] - event.published_ms
        for event in published
        if event.event_id in python_arrivals
    ]
    print("publish → rendered in the page (DOM updated), ms:")
    rows = [("all panes", every), *((f"pane {pane}", dom_ms[pane]) for pane in PANES)]
    for name, values in rows:
        print(f"  {name:<16} {summary(values)}")
    print(f"publish → next animation frame, ms:\n  {'all panes':<16} {summary(frame_ms)}")
    print(f"publish → received by a Python client (admin), ms:\n  {'':<16} {summary(python_ms)}")
    if python_ms and dom_ms["admin"]:
        print(
            "admin pane p50 / Python client p50: "
            f"{statistics.median(dom_ms['admin']) / statistics.median(python_ms):.2f}"
        )
    if not every:
        return 1
    p99 = percentile(every, 0.99)
    verdict = "meets" if p99 < TARGET_P99_MS else "misses"
    print(f"p99 {p99:.1f} ms {verdict} the target (< {TARGET_P99_MS:g} ms)")
    return 0 if lost == duplicated == misrouted == 0 else 1


def main() -> int:
    args = parse_args()
    reexec_where_only_loopback_exists()
    if args.events < 100:
        print("note: fewer than 100 events make a rough p99", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="alexho-browser-bench-") as directory:
        workdir = args.workdir or Path(directory)
        workdir.mkdir(parents=True, exist_ok=True)
        process, endpoints = start_stack(workdir, args.stack_log_level, [])
        try:
            if endpoints.demo_page_url is None:
                sys.exit("the stack serves no demo page")
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                page = browser.new_page(viewport=VIEWPORT)
                problems: list[str] = []
                page.on("pageerror", lambda error: problems.append(str(error)))
                page.on(
                    "console",
                    lambda message: (
                        problems.append(message.text) if message.type == "error" else None
                    ),
                )
                open_panes(page, endpoints.demo_page_url)
                with PythonListener(endpoints) as listener:
                    published = publish_all(endpoints, args)
                    expected = sum(len(event.recipients) for event in published)
                    deadline = time.monotonic() + args.settle_seconds
                    while render_count(page) < expected and time.monotonic() < deadline:
                        time.sleep(0.1)
                    rendered = page.evaluate("() => window.__rendered")
                browser.close()
            for problem in problems:
                print(f"page error: {problem}")
            return report(published, rendered, listener.arrivals, args)
        finally:
            stop_stack(process)


if __name__ == "__main__":
    sys.exit(main())
