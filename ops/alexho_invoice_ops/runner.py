"""Runs the seven checks in order against one stack. Nothing changes state but the check's
own connection (closed at the end) and its probe event."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from alexho_invoice_ops.checks import (
    access,
    connections,
    dead_letters,
    end_to_end,
    functions,
    topic,
    websocket,
)
from alexho_invoice_ops.checks.access import StackSource, check_access
from alexho_invoice_ops.checks.connections import check_connections
from alexho_invoice_ops.checks.dead_letters import check_dead_letters
from alexho_invoice_ops.checks.end_to_end import check_end_to_end
from alexho_invoice_ops.checks.functions import check_functions
from alexho_invoice_ops.checks.topic import check_topic
from alexho_invoice_ops.checks.websocket import check_websocket
from alexho_invoice_ops.identity import (
    CheckIdentity,
    TokenUnavailableError,
    given_identity,
    minted_identity,
)
from alexho_invoice_ops.results import CheckResult, all_passed
from alexho_invoice_ops.target import CheckTarget

#: Every check in report order: (key, title).
CHECKS: Final = (
    (access.KEY, access.TITLE),
    (topic.KEY, topic.TITLE),
    (websocket.KEY, websocket.TITLE),
    (end_to_end.KEY, end_to_end.TITLE),
    (connections.KEY, connections.TITLE),
    (dead_letters.KEY, dead_letters.TITLE),
    (functions.KEY, functions.TITLE),
)


@dataclass(frozen=True)
class CheckOptions:
    """How the checks run."""

    #: ``--token``: connect with this token instead of minting one (JWKS mode).
    token: str | None = None
    #: Seconds to wait for the connection, the pong and the probe.
    timeout: float = 10.0
    #: Error lines of the fan-out's log to show.
    log_lines: int = 5


@dataclass(frozen=True)
class Report:
    """Every check's result, and the stack they looked at (``None`` if it was not found)."""

    target: CheckTarget | None
    results: list[CheckResult]

    @property
    def ok(self) -> bool:
        """Whether no check failed."""
        return all_passed(self.results)


def run_checks(source: StackSource, options: CheckOptions, environ: Mapping[str, str]) -> Report:
    """Run every check; a check that cannot run is reported as skipped, with the reason."""
    first, target = check_access(source)
    if target is None:
        rest = [
            CheckResult.skipped(key, title, "needs the stack (see AWS access)")
            for key, title in CHECKS[1:]
        ]
        return Report(None, [first, *rest])
    results = [first, check_topic(target, environ)]
    results.extend(asyncio.run(_live_checks(target, options)))
    results.append(check_connections(target))
    results.append(check_dead_letters(target))
    results.append(check_functions(target, options.log_lines))
    return Report(target, results)


async def _live_checks(target: CheckTarget, options: CheckOptions) -> list[CheckResult]:
    """Checks 3 and 4 on one connection, closed before returning."""
    try:
        identity: CheckIdentity = (
            given_identity(options.token) if options.token else minted_identity(target)
        )
    except TokenUnavailableError as error:
        return [
            CheckResult.failed(
                websocket.KEY,
                websocket.TITLE,
                f"no token to connect with: {error}",
                "allow secretsmanager:GetSecretValue on the stack's AuthSecretArn to the "
                "check's credentials, or pass --token",
            ),
            CheckResult.skipped(end_to_end.KEY, end_to_end.TITLE, "needs a connection"),
        ]
    connected, connection = await check_websocket(target, identity, options.timeout)
    try:
        probed = await check_end_to_end(target, identity, connection, options.timeout)
    finally:
        if connection is not None:
            await connection.close()
    return [connected, probed]
