"""``alexho-local listen``: connect as an admin or a customer and print frames as they arrive.

Like a well-behaved client it pings within the stack's idle timeout (from the state file; API
Gateway's is 10 minutes), and after a close it reconnects with jittered backoff and resumes from
the last cursor it saw.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from dataclasses import dataclass
from typing import TextIO

from websockets.exceptions import InvalidStatus

from alexho_invoice_local.cli.client import InvoiceStreamClient, StreamClosedError
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_local.tokens import LocalTokens

#: Only a client's data messages count as activity: ping after this share of the idle timeout
#: without one (every 5 minutes against API Gateway's 10).
KEEPALIVE_SHARE = 0.5
MAX_BACKOFF_SECONDS = 30.0


@dataclass(frozen=True)
class ListenOptions:
    """Who to connect as and when to stop."""

    role: str
    customer_id: str | None = None
    subject: str | None = None
    resume_after: str | None = None
    max_events: int | None = None
    seconds: float | None = None


async def listen(
    endpoints: StackEndpoints, options: ListenOptions, out: TextIO | None = None
) -> int:
    """Print each frame as one JSON line (to ``out``, default stdout); returns the exit code.

    Raises the publisher SDK's ``InvalidTokenRequestError`` before connecting when it refuses
    to mint a token for ``options`` (e.g. a blank subject).
    """
    out = out or sys.stdout
    tokens = LocalTokens(endpoints, ttl_seconds=300)
    keepalive = endpoints.idle_timeout_seconds * KEEPALIVE_SHARE
    deadline = None if options.seconds is None else time.monotonic() + options.seconds
    cursor, received, backoff = options.resume_after, 0, 0.5
    while True:
        token = tokens.for_role(options.role, options.customer_id, options.subject)
        try:
            async with InvoiceStreamClient(endpoints.websocket_url, token) as client:
                backoff = 0.5
                last_sent = time.monotonic()
                if cursor:
                    await client.send({"action": "resume", "after": cursor})
                while True:
                    now = time.monotonic()
                    if deadline is not None and now >= deadline:
                        return 0
                    if now - last_sent >= keepalive:
                        await client.send({"action": "ping"})
                        last_sent = now
                    timeout = last_sent + keepalive - now
                    if deadline is not None:
                        timeout = min(timeout, deadline - now)
                    try:
                        received_frame = await client.next_frame(timeout)
                    except TimeoutError:
                        continue
                    frame = received_frame.frame
                    print(json.dumps(frame, ensure_ascii=False), file=out, flush=True)
                    if received_frame.event is not None:
                        cursor = str(frame.get("cursor") or cursor or "")
                        received += 1
                        if options.max_events is not None and received >= options.max_events:
                            return 0
        except InvalidStatus as refused:
            status = refused.response.status_code
            print(f"alexho-local: connection refused with HTTP {status}", file=sys.stderr)
            return 1
        except (StreamClosedError, OSError) as closed:
            pause = random.uniform(0, backoff)  # noqa: S311 - jitter, not cryptography
            print(
                f"alexho-local: {closed}; reconnecting in {pause:.1f} s"
                + (f" and resuming after {cursor}" if cursor else ""),
                file=sys.stderr,
            )
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
            await asyncio.sleep(pause)
            if deadline is not None and time.monotonic() >= deadline:
                return 0
