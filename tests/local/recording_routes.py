"""Lambda handlers for a bare gateway's ``$connect`` and ``$disconnect`` that record what they
see: ``$connect`` reports each connection id and waits until the test lets it answer (an
integration that takes its time), so a test can act while a handshake is still open."""

from __future__ import annotations

import queue
import threading
from typing import Any

from alexho_invoice_local.functions.invocation import LambdaFunction

#: Connection ids whose ``$connect`` has started.
CONNECTS: queue.Queue[str] = queue.Queue()
#: ``requestContext`` of every ``$disconnect`` event, in order.
DISCONNECTS: queue.Queue[dict[str, Any]] = queue.Queue()
#: Set by the test to let waiting ``$connect`` invocations answer 200.
RELEASE = threading.Event()
_WAIT_SECONDS = 10.0


def slow_connect(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    """Report the connection id, then answer 200 once :data:`RELEASE` is set."""
    CONNECTS.put(event["requestContext"]["connectionId"])
    RELEASE.wait(_WAIT_SECONDS)
    return {"statusCode": 200}


def record_disconnect(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    """Record the ``$disconnect`` event's request context."""
    DISCONNECTS.put(event["requestContext"])
    return {"statusCode": 200}


def recording_function(attribute: str) -> LambdaFunction:
    """A function running one of this module's handlers."""
    return LambdaFunction(
        name=f"test-{attribute}",
        handler_path=f"{__name__}:{attribute}",
        region="eu-west-1",
        account_id="123456789012",
    )
