"""Settings of the local stack: where it listens, how it names things, its API Gateway limits."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Final

from alexho_invoice_runtime.definitions import (
    DEFAULT_NAME_PREFIX,
    MAX_CONNECTION_SECONDS,
    MAX_MESSAGE_BYTES,
)

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_WEBSOCKET_PORT: Final = 8765
DEFAULT_REGION: Final = "eu-west-1"
#: moto's default account id: ARNs the stack prints carry it.
DEFAULT_ACCOUNT_ID: Final = "123456789012"
DEFAULT_PREFIX: Final = DEFAULT_NAME_PREFIX
DEFAULT_ENVIRONMENT: Final = "local"
DEFAULT_STAGE: Final = "local"
#: API Gateway closes a connection that sent nothing for 10 minutes.
DEFAULT_IDLE_TIMEOUT_SECONDS: Final = 10 * 60.0
#: Levels the handlers' ``LOG_LEVEL`` may name (any case).
LOG_LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class NotLoopbackError(ValueError):
    """The stack only listens on loopback: it has fake credentials and no TLS."""


def url_host(host: str) -> str:
    """``host`` as it appears in a URL (IPv6 addresses in brackets)."""
    return f"[{host}]" if ":" in host else host


def loopback_host(host: str) -> str:
    """Return ``host`` as a loopback address, or raise :class:`NotLoopbackError`."""
    if host == "localhost":
        return DEFAULT_HOST
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise NotLoopbackError(f"{host!r} is not a loopback address") from None
    if not address.is_loopback:
        raise NotLoopbackError(
            f"{host} is not a loopback address: the local stack serves loopback only"
        )
    return str(address)


@dataclass(frozen=True)
class StackSettings:
    """Everything that shapes one local stack. Port 0 picks a free port."""

    host: str = DEFAULT_HOST
    websocket_port: int = DEFAULT_WEBSOCKET_PORT
    #: ``None``: the WebSocket port + 1 (or a free port when that is 0).
    management_port: int | None = None
    #: ``None``: the WebSocket port + 2 (or a free port when that is 0).
    moto_port: int | None = None
    #: ``None``: the WebSocket port + 3 (or a free port when that is 0).
    demo_page_port: int | None = None
    #: Serve the demo page (``frontend/demo``) and its token and scenario endpoints.
    demo_page: bool = True
    #: The built demo page; ``None``: ``frontend/demo/dist`` of the source tree.
    demo_page_dir: str | None = None
    #: Run moto in a thread of this process instead of a child process of its own.
    moto_in_process: bool = False
    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT_ID
    prefix: str = DEFAULT_PREFIX
    environment: str = DEFAULT_ENVIRONMENT
    stage: str = DEFAULT_STAGE
    api_id: str = "alexholocal"
    idle_timeout_seconds: float = DEFAULT_IDLE_TIMEOUT_SECONDS
    max_connection_seconds: float = float(MAX_CONNECTION_SECONDS)
    max_message_bytes: int = MAX_MESSAGE_BYTES
    #: Lambda retries a failed asynchronous invocation twice before its on-failure destination.
    async_retries: int = 2
    #: Pause before each retry (AWS waits about 1 and 2 minutes; locally much shorter).
    retry_delays_seconds: tuple[float, ...] = (0.5, 1.0)
    #: Concurrent invocations of the send-invoice-update function.
    fanout_concurrency: int = 3
    #: Run those invocations in processes of their own (Lambda's containers), started warm;
    #: ``False`` runs them in threads of this process.
    fanout_in_processes: bool = True
    #: Where the fan-out containers write their stdout (``None``: inherited stdout).
    fanout_log_file: str | None = None
    #: Threads that run the WebSocket route handlers (authorizer, $connect, $default, ...).
    route_concurrency: int = 16
    #: How long ``resume`` can reach back (the runtime's default is a day; locally an hour,
    #: which with the TTL sweep keeps moto's tables, and its cost per request, small).
    event_retention_seconds: int = 3600
    #: How often expired items (DynamoDB TTL, which moto lacks) are deleted.
    ttl_sweep_seconds: float = 60.0
    log_level: str = "WARNING"
    extra_lambda_env: dict[str, str] = field(default_factory=dict)
    #: Browser origins that may open WebSockets besides pages served from loopback (any port).
    allowed_origins: tuple[str, ...] = ()
    #: Loopback ports that forward to the stack's listeners (an SSH tunnel, a container's port
    #: mapping, a test's relay): every listener accepts them in ``Host`` besides its own.
    forwarded_ports: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "host", loopback_host(self.host))
        for name in ("websocket_port", "management_port", "moto_port", "demo_page_port"):
            port = getattr(self, name)
            if port is not None and not 0 <= port <= 65535:
                raise ValueError(f"{name} must be between 0 and 65535, not {port}")
        if self.idle_timeout_seconds <= 0 or self.max_connection_seconds <= 0:
            raise ValueError("timeouts must be positive")
        if self.fanout_concurrency < 1 or self.route_concurrency < 1:
            raise ValueError("concurrency settings must be at least 1")
        if self.log_level.upper() not in LOG_LEVELS:
            raise ValueError(
                f"log level must be one of {', '.join(LOG_LEVELS)}, not {self.log_level!r}"
            )

    def port_after(self, offset: int, explicit: int | None) -> int:
        """An explicit port, else the WebSocket port + ``offset`` (0 stays 0: any free port)."""
        if explicit is not None:
            return explicit
        return 0 if self.websocket_port == 0 else self.websocket_port + offset

    def physical_name(self, base_name: str) -> str:
        """A resource name: prefix, base name and environment suffix."""
        return f"{self.prefix}{base_name}-{self.environment}"
