"""Argument values of ``alexho-local``, checked while parsing: a bad one ends the command with
one line naming the option, and exit code 2 (never a traceback)."""

from __future__ import annotations

import argparse
import sys
from typing import Final, NoReturn
from urllib.parse import urlsplit

from alexho_invoice_local.settings import LOG_LEVELS, NotLoopbackError, loopback_host
from alexho_invoice_local.tokens import MAX_TTL_SECONDS
from alexho_invoice_runtime.auth.identity import is_customer_id
from alexho_invoice_runtime.event_log import is_cursor

EXIT_USAGE: Final = 2
_IDENTIFIER_RULE: Final = "1 to 128 letters, digits or . _ : @ -, starting with a letter or digit"


class OneLineParser(argparse.ArgumentParser):
    """Reports a usage error as one line (``alexho-local token: argument --ttl: …``), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def usage_error(command: str, message: str) -> int:
    """Print a usage error found after parsing, in the parser's format; returns exit code 2."""
    prog = f"alexho-local {command}"
    print(f"{prog}: {message} (see {prog} --help)", file=sys.stderr)
    return EXIT_USAGE


def loopback(value: str) -> str:
    """``--host``: a loopback address."""
    try:
        return loopback_host(value)
    except NotLoopbackError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _integer(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None


def positive_seconds(value: str) -> float:
    """A number of seconds greater than zero."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not number > 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {value}")
    return number


def positive_integer(value: str) -> int:
    """A whole number of at least 1."""
    number = _integer(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return number


def port(value: str) -> int:
    """A TCP port, 0 meaning any free one."""
    number = _integer(value)
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port from 0 to 65535, not {value}")
    return number


def log_level(value: str) -> str:
    """A logging level name, in any case."""
    level = value.upper()
    if level not in LOG_LEVELS:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a log level; use one of {', '.join(LOG_LEVELS)}"
        )
    return level


def token_ttl(value: str) -> int:
    """A connect token's lifetime: 1 to 3600 seconds (the publisher SDK's bounds)."""
    number = _integer(value)
    if not 1 <= number <= MAX_TTL_SECONDS:
        raise argparse.ArgumentTypeError(
            f"must be from 1 to {MAX_TTL_SECONDS} seconds, not {value}"
        )
    return number


def customer_id(value: str) -> str:
    """A customer id as the event schema defines it (``$defs.identifier``)."""
    if not is_customer_id(value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a valid customer id ({_IDENTIFIER_RULE})"
        )
    return value


def web_origin(value: str) -> str:
    """A browser origin: ``http(s)://host[:port]``, nothing after it; returned as a browser
    sends it in ``Origin`` (scheme and host in lower case, no default port), so that
    ``HTTP://Dev-Box:80`` matches the ``http://dev-box`` a page on it sends."""
    parts = urlsplit(value)
    try:
        port = parts.port
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} has an invalid port") from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
    ):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an origin; use scheme, host and port only, e.g. "
            "http://192.168.1.5:3000"
        )
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default_port = 80 if parts.scheme == "http" else 443
    return f"{parts.scheme}://{host}" + ("" if port in (None, default_port) else f":{port}")


def cursor(value: str) -> str:
    """The ``cursor`` of an event frame, as ``listen`` prints it."""
    if not is_cursor(value):
        raise argparse.ArgumentTypeError(
            f'{value!r} is not a cursor; use the "cursor" of an event frame that `listen` '
            "printed (e.g. 1764748800000.0123456789abcdef)"
        )
    return value
