"""Which ``Host`` headers and ``Origin`` values the local stack's listeners accept.

Every listener binds to loopback, but a web page on any site can still make the browser send
requests there: with its own ``Origin``, or, after DNS rebinding, with a ``Host`` of the
attacker's name. A listener answers only requests addressed to a loopback name or address with
its own port (``127.0.0.1:8765``, ``localhost:8765``, ``[::1]:8765``); ``localhost`` and its
subdomains never reach DNS in browsers, so no page can rebind them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection
from typing import Final
from urllib.parse import urlsplit

_LOCALHOST: Final = "localhost"
_WEB_SCHEMES: Final = frozenset({"http", "https"})


class MalformedHostError(ValueError):
    """A ``Host`` header that is not ``name[:port]`` (HTTP 400, not 403)."""


def is_loopback_name(hostname: str) -> bool:
    """Whether ``hostname`` (no port, IPv6 without brackets) is ``localhost``, a subdomain of it
    or a loopback address."""
    name = hostname.lower().rstrip(".")
    if name == _LOCALHOST or name.endswith(f".{_LOCALHOST}"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def split_host(value: str) -> tuple[str, int | None]:
    """``(hostname, port)`` of a ``Host`` header value; raises :class:`MalformedHostError`."""
    text = value.strip()
    if not text or any(character in text for character in " \t,/@?#\\"):
        raise MalformedHostError(value)
    try:
        parts = urlsplit(f"//{text}")
        port = parts.port
    except ValueError:
        raise MalformedHostError(value) from None
    if not parts.hostname:
        raise MalformedHostError(value)
    return parts.hostname, port


def is_own_host(value: str, port: int, forwarded: Collection[int] = ()) -> bool:
    """Whether a ``Host`` header value names a loopback host and exactly ``port`` (or one of
    the ``forwarded`` loopback ports that lead to it); raises :class:`MalformedHostError` for
    a value that is not a host at all."""
    hostname, named_port = split_host(value)
    return (named_port == port or named_port in forwarded) and is_loopback_name(hostname)


def is_loopback_origin(origin: str) -> bool:
    """Whether ``origin`` is ``http(s)://`` a loopback host, on any port (a page the developer
    serves on this machine, such as a dev server on ``http://localhost:3000``)."""
    try:
        parts = urlsplit(origin.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    if parts.scheme.lower() not in _WEB_SCHEMES or parts.path or not parts.hostname:
        return False
    return is_loopback_name(parts.hostname)
