"""Binding errors that name the port, so ``alexho-local up`` can say which one is taken."""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator
from contextlib import contextmanager


class PortInUseError(OSError):
    """A port the stack needs is already taken by another process."""

    def __init__(self, service: str, host: str, port: int) -> None:
        self.service = service
        self.host = host
        self.port = port
        super().__init__(
            errno.EADDRINUSE,
            f"port {port} on {host} is already in use (needed for the {service}); "
            "stop what holds it or choose other ports "
            "(--port, --management-port, --moto-port, --demo-page-port)",
        )


def is_address_in_use(error: BaseException) -> bool:
    """Whether ``error`` is the operating system refusing a bind on a taken port."""
    return isinstance(error, OSError) and error.errno in (errno.EADDRINUSE, errno.EACCES)


@contextmanager
def explained_bind_errors(service: str, host: str, port: int) -> Iterator[None]:
    """Turn the operating system's "address in use" into :class:`PortInUseError`."""
    try:
        yield
    except OSError as error:
        if is_address_in_use(error):
            raise PortInUseError(service, host, port) from None
        raise


def ensure_port_free(service: str, host: str, port: int) -> None:
    """Raise :class:`PortInUseError` when ``port`` (0: any free port, always fine) is taken now.

    For servers that report a taken port badly themselves (werkzeug, under moto, prints a
    message and exits).
    """
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As servers bind: a port in TIME_WAIT is free, one with a listener is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with explained_bind_errors(service, host, port):
            probe.bind((host, port))
