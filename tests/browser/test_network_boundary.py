"""The browser stays on loopback: the tests' chromium runs where only ``lo`` exists, and traced
with strace on the demo page it connects and sends to nothing past loopback."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

from alexho_invoice_local.endpoints import StackEndpoints
from tests.browser.chromium import CHROMIUM, MISSING, VIEWPORT, launch_chromium
from tests.browser.demo_page import DemoPage
from tests.browser.loopback_namespace import namespace_available, network_interfaces
from tests.network_trace import (
    HOW_TO_CHECK_BY_HAND,
    NetworkTrace,
    strace_path,
    traced_executable,
)

#: Lines of a real trace of Debian's chromium without the flags, in a namespace with only lo.
UNFLAGGED_CHROMIUM_TRACE = """\
18262 connect(68<UDP:[167854]>, {sa_family=AF_INET, sin_port=htons(53), \
sin_addr=inet_addr("10.255.255.53")}, 16) = -1 ENETUNREACH (Network is unreachable)
18619 connect(19<UDPv6:[167845]>, {sa_family=AF_INET6, sin6_port=htons(443), \
sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2001:4860:4860::8888", &sin6_addr), \
sin6_scope_id=0}, 28) = -1 ENETUNREACH (Network is unreachable)
18619 sendto(25<TCP:[127.0.0.1:36788->127.0.0.1:8123]>, "GET / HTTP/1.1", 14, 0, NULL, 0) = 14
18620 sendto(26<TCPv6:[[::1]:36790->[2001:db8::7]:443]>, "GET / HTTP/1.1", 14, 0, NULL, 0) = 14
"""


def test_the_browser_tests_run_where_only_loopback_exists() -> None:
    if not namespace_available() and os.environ.get("LOOPBACK_ONLY_REQUIRED") != "1":
        pytest.skip(
            "no network namespace here (it needs root and util-linux unshare): chromium's "
            "flags keep it on loopback instead, as the strace test below checks"
        )
    assert network_interfaces() == ["lo"]


def test_the_trace_check_finds_what_chromium_sends_past_loopback() -> None:
    # GIVEN a DNS query to the LAN, the IPv6 reachability probe, a loopback request and a
    # request to a public address, as strace prints them
    trace = NetworkTrace.parse(UNFLAGGED_CHROMIUM_TRACE)
    # THEN the DNS query and the public request are past loopback; the probe (a UDP connect,
    # nothing sent) and the loopback request are not
    past = trace.past_loopback()
    assert [line.split()[0] for line in past] == ["18262", "18620"]


@pytest.mark.slow
def test_chromium_on_the_demo_page_connects_to_nothing_past_loopback(
    endpoints: StackEndpoints, tmp_path: Path
) -> None:
    if strace_path() is None:
        pytest.skip(HOW_TO_CHECK_BY_HAND)
    if not CHROMIUM.exists():
        pytest.fail(MISSING)
    assert endpoints.demo_page_url is not None
    # GIVEN chromium launched as the browser tests launch it, traced by strace
    log = tmp_path / "strace.txt"
    traced = traced_executable(CHROMIUM, log, tmp_path / "chromium-under-strace")
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, traced)
        try:
            # WHEN it opens the demo page and its three panes connect
            DemoPage.open(browser.new_context(viewport=VIEWPORT), endpoints.demo_page_url)
        finally:
            browser.close()
    # THEN it reached the page's server and the gateway, and nothing past loopback
    trace = NetworkTrace.parse(log.read_text(errors="replace"))
    local_ports = {urlsplit(endpoints.demo_page_url).port, urlsplit(endpoints.websocket_url).port}
    assert local_ports <= trace.loopback_ports()
    assert trace.past_loopback() == []
