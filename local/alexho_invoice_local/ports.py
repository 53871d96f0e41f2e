"""Binding errors that name the port, so ``alexho-local up`` can say which one is taken."""

from __future__ import annotations

import errno
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
