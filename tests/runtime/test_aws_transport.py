"""Keep-alive connections of the AWS layer's transport (``aws.transport``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar

import pytest

from alexho_invoice_runtime.aws.transport import Endpoint
from tests.runtime.loopback import LoopbackHTTPServer


class _ClosesIdleConnections(BaseHTTPRequestHandler):
    """Answers 200 with the client's port; closes a keep-alive connection idle for 0.2 s."""

    protocol_version = "HTTP/1.1"
    timeout = 0.2

    def log_message(self, format: str, *args: Any) -> None:
        """No access log."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = str(self.client_address[1]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[str]:
    loopback = LoopbackHTTPServer(_ClosesIdleConnections)
    loopback.start()
    try:
        yield loopback.base_url
    finally:
        loopback.stop()


def test_requests_in_quick_succession_share_one_connection(server: str) -> None:
    endpoint = Endpoint(server, service="dynamodb", region="eu-west-1")
    ports = {endpoint.request("POST", "/", b"{}").body for _ in range(3)}
    assert len(ports) == 1


def test_a_connection_idle_past_the_limit_is_replaced_before_the_server_drops_it(
    server: str,
) -> None:
    # GIVEN a connection used once, then idle for longer than the server keeps it open
    endpoint = Endpoint(server, service="dynamodb", region="eu-west-1", max_idle_seconds=0.1)
    first = endpoint.request("POST", "/", b"{}")
    time.sleep(0.4)
    # WHEN the next request is made
    second = endpoint.request("POST", "/", b"{}")
    # THEN it went out on a new connection and was answered
    assert second.status == 200
    assert second.body != first.body


class _RecordsClosedConnections(_ClosesIdleConnections):
    """As above, but keeps an idle connection open for 5 s and records the client ports whose
    connection the client closed."""

    timeout = 5.0
    closed_ports: ClassVar[list[int]] = []

    def finish(self) -> None:
        super().finish()
        type(self).closed_ports.append(self.client_address[1])


def test_the_connection_of_a_thread_that_ended_is_closed() -> None:
    loopback = LoopbackHTTPServer(_RecordsClosedConnections)
    loopback.start()
    try:
        endpoint = Endpoint(loopback.base_url, service="dynamodb", region="eu-west-1")
        ports: list[bytes] = []
        # GIVEN a thread (as the fan-out's per-event reader is) that made a request
        thread = threading.Thread(
            target=lambda: ports.append(endpoint.request("POST", "/", b"{}").body)
        )
        thread.start()
        # WHEN the thread ends
        thread.join()
        # THEN its connection is closed by the client, long before the server's idle timeout
        port = int(ports[0])
        deadline = time.monotonic() + 2.0
        while port not in _RecordsClosedConnections.closed_ports and time.monotonic() < deadline:
            time.sleep(0.02)
        assert port in _RecordsClosedConnections.closed_ports
    finally:
        loopback.stop()
