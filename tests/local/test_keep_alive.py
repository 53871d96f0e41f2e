"""The local moto server keeps a client's connection between requests it could frame, and closes
one it could not, or that stays idle."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from alexho_invoice_local.aws.keep_alive import KeepAliveRequestHandler, request_handler
from alexho_invoice_local.aws.moto_server import MotoBackend

HOST = "127.0.0.1"
LIST_TABLES = {
    "X-Amz-Target": "DynamoDB_20120810.ListTables",
    "Content-Type": "application/x-amz-json-1.0",
    "Authorization": (
        "AWS4-HMAC-SHA256 Credential=testing/20261206/eu-west-1/dynamodb/aws4_request, "
        "SignedHeaders=host, Signature=0"
    ),
}


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    backend = MotoBackend(HOST, 0, in_process=True)
    backend.start()
    try:
        port = urlsplit(backend.endpoint_url).port
        assert port is not None
        yield port
    finally:
        backend.stop()


def raw_exchange(port: int, request: bytes, *, shut_write: bool = False) -> tuple[bytes, bool]:
    """Send ``request`` and read until the server closes or 3 s pass: (what came, whether the
    server closed the connection)."""
    received = b""
    with socket.create_connection((HOST, port), timeout=3) as sock:
        sock.sendall(request)
        if shut_write:
            sock.shutdown(socket.SHUT_WR)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except TimeoutError:
            return received, False
    return received, True


def list_tables(port: int, framing: str, body: bytes) -> bytes:
    """A ListTables request to moto with the body-framing header ``framing``, then ``body``."""
    headers = [f"Host: {HOST}:{port}", *(f"{name}: {value}" for name, value in LIST_TABLES.items())]
    head = "\r\n".join(["POST / HTTP/1.1", *headers, framing]) + "\r\n\r\n"
    return head.encode() + body


def test_the_keep_alive_handler_serves_on_the_werkzeug_release_it_was_checked_against() -> None:
    # WHEN the installed werkzeug is another release THEN this fails until the handler's
    # reading of werkzeug's after-answer drain is checked again (CHECKED_WERKZEUG_VERSION)
    assert request_handler() is KeepAliveRequestHandler


def test_one_connection_serves_one_request_after_another(port: int) -> None:
    # GIVEN a client's connection to moto
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    sockets = []
    # WHEN it sends five requests, each as soon as the last is answered
    for _ in range(5):
        connection.request("POST", "/", body=b"{}", headers=LIST_TABLES)
        response = connection.getresponse()
        body = response.read()
        # THEN each is answered, without closing the connection
        assert response.status == 200
        assert "TableNames" in json.loads(body)
        assert response.getheader("Connection") is None
        sockets.append(connection.sock)
    # AND all on the one socket
    assert sockets[0] is not None
    assert all(sock is sockets[0] for sock in sockets)
    connection.close()


def test_a_chunked_request_is_answered_then_closed(port: int) -> None:
    # WHEN a request's body comes in chunks (the handler reads only Content-Length bodies)
    request = list_tables(port, "Transfer-Encoding: chunked", b"2\r\n{}\r\n0\r\n\r\n")
    received, closed = raw_exchange(port, request)
    # THEN it is answered as werkzeug answers it, and the server closes the connection
    assert received.startswith(b"HTTP/1.1 200")
    assert b"\r\nConnection: close\r\n" in received
    assert closed


def test_a_body_cut_short_is_answered_then_closed(port: int) -> None:
    # WHEN a client announces 100 bytes, sends 2 and stops sending
    request = list_tables(port, "Content-Length: 100", b"{}")
    received, closed = raw_exchange(port, request, shut_write=True)
    # THEN the server answers and closes the connection (nothing of it is read as a request)
    assert received.startswith(b"HTTP/1.1 ")
    assert b"\r\nConnection: close\r\n" in received
    assert closed


def test_an_idle_connection_is_closed_by_the_server(
    port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a server that closes connections idle for half a second
    monkeypatch.setattr(KeepAliveRequestHandler, "timeout", 0.5)
    request = list_tables(port, "Content-Length: 2", b"{}")
    # WHEN a client is answered and then sends nothing more
    received, closed = raw_exchange(port, request)
    # THEN the answer kept the connection open, and the server closed it once idle
    assert received.startswith(b"HTTP/1.1 200")
    assert b"Connection: close" not in received
    assert closed
