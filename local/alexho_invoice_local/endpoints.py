"""Where a running local stack can be reached, and the state file other commands find it by."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

from alexho_invoice_local.settings import DEFAULT_IDLE_TIMEOUT_SECONDS

STATE_FILE_ENV: Final = "ALEXHO_LOCAL_STATE_FILE"


class NoRunningStackError(RuntimeError):
    """No state file, or the stack that wrote it is gone."""


@dataclass(frozen=True)
class StackEndpoints:
    """Everything a client, a publisher or a test needs to use a running stack (no secrets)."""

    websocket_url: str
    callback_url: str
    aws_endpoint_url: str
    region: str
    topic_arn: str
    secret_arn: str
    connections_table: str
    event_log_table: str
    on_failure_queue_url: str
    pid: int
    #: The demo page's URL (``None`` when the stack serves none).
    demo_page_url: str | None = None
    #: The gateway closes a connection that sent nothing for this long (clients ping within it).
    idle_timeout_seconds: float = DEFAULT_IDLE_TIMEOUT_SECONDS

    def to_json(self) -> str:
        """JSON text of the endpoints."""
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> StackEndpoints:
        """Parse :meth:`to_json`'s output."""
        return cls(**json.loads(text))


def state_file_path() -> Path:
    """``$ALEXHO_LOCAL_STATE_FILE``, else ``alexho-invoice-local/state.json`` in the runtime dir."""
    explicit = os.environ.get(STATE_FILE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    return Path(base) / f"alexho-invoice-local-{os.getuid()}" / "state.json"


def write_state(endpoints: StackEndpoints, path: Path | None = None) -> Path:
    """Write the state file (readable by the current user only)."""
    target = path or state_file_path()
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(endpoints.to_json())
    temporary.replace(target)
    return target


def is_recorded(endpoints: StackEndpoints, path: Path | None = None) -> bool:
    """Whether the state file still describes ``endpoints`` (``up`` removes it once stopped)."""
    target = path or state_file_path()
    try:
        return StackEndpoints.from_json(target.read_text("utf-8")) == endpoints
    except (FileNotFoundError, ValueError, TypeError):
        return False


def remove_state(endpoints: StackEndpoints, path: Path | None = None) -> None:
    """Remove the state file if it still describes ``endpoints``."""
    target = path or state_file_path()
    if is_recorded(endpoints, target):
        with contextlib.suppress(FileNotFoundError):
            target.unlink()


def read_state(path: Path | None = None) -> StackEndpoints:
    """The endpoints of the running stack; :class:`NoRunningStackError` when there is none."""
    target = path or state_file_path()
    try:
        endpoints = StackEndpoints.from_json(target.read_text("utf-8"))
    except FileNotFoundError:
        raise NoRunningStackError(
            f"no local stack is running (no {target}); start one with `alexho-local up`"
        ) from None
    except (ValueError, TypeError):
        raise NoRunningStackError(f"{target} is not a local stack state file") from None
    if not process_alive(endpoints.pid):
        raise NoRunningStackError(
            f"the local stack recorded in {target} (pid {endpoints.pid}) is no longer running"
        )
    return endpoints


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists (a zombie counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
