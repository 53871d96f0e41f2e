"""The fan-out handler with faults armed per event id: the campaign's broken containers.

``handler`` runs :func:`alexho_invoice_runtime.handlers.send_invoice_update.handler`, unless the
JSON file named by ``$ALEXHO_TEST_FAULTS_FILE`` maps the event's id to a fault: ``"exit"`` ends
the container's process mid-invocation, ``"hang"`` runs past the function's timeout.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Final

from alexho_invoice_runtime.handlers import send_invoice_update

FAULTS_FILE_ENV: Final = "ALEXHO_TEST_FAULTS_FILE"
EXIT_STATUS: Final = 3


def arm(path: Path, faults: dict[str, str]) -> None:
    """Make the events with these ids fail as named (replaces what was armed)."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(faults))
    temporary.replace(path)


def handler(event: dict[str, Any], context: Any) -> Any:
    """Lambda entry point: a fault if one is armed for this event, else the real handler."""
    fault = _armed_fault(event)
    if fault == "exit":
        os._exit(EXIT_STATUS)
    if fault == "hang":
        time.sleep(context.get_remaining_time_in_millis() / 1000 + 30)
    return send_invoice_update.handler(event, context)


def _armed_fault(event: dict[str, Any]) -> str | None:
    path = os.environ.get(FAULTS_FILE_ENV)
    if not path or not os.path.exists(path):
        return None
    try:
        event_id = json.loads(event["Records"][0]["Sns"]["Message"])["id"]
    except (KeyError, IndexError, TypeError, ValueError, RecursionError):
        return None
    faults: dict[str, str] = json.loads(Path(path).read_text())
    return faults.get(event_id)
