"""HTTP/1.1 requests written byte by byte, so tests can send what no client library sends: a
foreign or repeated ``Host``, a browser's ``Origin``, a WebSocket handshake."""

from __future__ import annotations

import base64
import os
import socket
from dataclasses import dataclass

HOST = "127.0.0.1"


@dataclass(frozen=True)
class RawReply:
    """Status code, headers (lower-case names, the last of repeated ones) and body."""

    status: int
    headers: dict[str, str]
    body: bytes


def raw_request(
    port: int,
    method: str,
    path: str,
    headers: list[tuple[str, str]],
    body: bytes = b"",
) -> RawReply:
    """Send exactly these headers (no ``Host`` unless given; ``Content-Length`` added for a
    body); read the answer until the server closes, or until the head of a 101."""
    lines = [f"{method} {path} HTTP/1.1", *(f"{name}: {value}" for name, value in headers)]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    received = b""
    with socket.create_connection((HOST, port), timeout=10) as sock:
        sock.sendall(request)
        while chunk := sock.recv(65536):
            received += chunk
            if received.startswith(b"HTTP/1.1 101") and b"\r\n\r\n" in received:
                break
    head, _, rest = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parsed = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        parsed[name.strip().lower()] = value.strip()
    return RawReply(int(status_line.split(" ")[1]), parsed, rest)


def websocket_headers(host: str, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    """The headers of a WebSocket opening handshake to ``host``, then ``extra``."""
    return [
        ("Host", host),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", base64.b64encode(os.urandom(16)).decode()),
        ("Sec-WebSocket-Version", "13"),
        *extra,
    ]
