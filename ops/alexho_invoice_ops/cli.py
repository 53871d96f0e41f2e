"""``alexho-realtime``: operations commands. ``check`` runs the troubleshooting list against a
deployed stack (``--stack``) or the running local stack (``--local``)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
#: Top-level modules of the ``ops`` extra (PyJWT[crypto], websockets) the checks import.
EXTRA_MODULES: Final = frozenset({"jwt", "cryptography", "websockets"})
MISSING_EXTRA: Final = (
    "alexho-realtime: the {module!r} module is missing; install the ops extra: "
    "pip install 'alexho-invoice-realtime[ops]'\n"
)
#: Read instead of ``--token`` when set, so the token stays out of shell history.
TOKEN_ENV: Final = "ALEXHO_REALTIME_CHECK_TOKEN"  # noqa: S105 - a variable name


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="alexho-realtime", description="Operations commands of AlexHo Invoice Realtime."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "check",
        help="check a deployed or local stack end to end (exit 0 only if every check passes)",
        description="Checks AWS access, the topic, the WebSocket URL, an end-to-end probe, the "
        "connections table, both dead-letter queues and the functions. Changes nothing but its "
        "own connection and its probe event (which no admin or customer sees).",
    )
    where = check.add_mutually_exclusive_group(required=True)
    where.add_argument("--stack", help="CloudFormation stack name, e.g. AlexHoInvoiceRealtime-dev")
    where.add_argument("--local", action="store_true", help="the running `alexho-local up` stack")
    check.add_argument("--region", help="AWS region of --stack (default: your AWS config)")
    check.add_argument(
        "--state-file", type=Path, help="--local: the state file of `alexho-local up`"
    )
    check.add_argument(
        "--token",
        help=f"connect with this token (JWKS mode) instead of minting one; or set {TOKEN_ENV}",
    )
    check.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        help="seconds to wait for the connection, the pong and the probe (default 10)",
    )
    check.add_argument(
        "--log-lines", type=int, default=5, help="fan-out error lines to show (default 5)"
    )
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``alexho-realtime`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.timeout <= 0:
        parser.error("--timeout must be positive")
    try:
        return _check(args)
    except ModuleNotFoundError as missing:
        module = (missing.name or "").partition(".")[0]
        if module not in EXTRA_MODULES:
            raise
        sys.stderr.write(MISSING_EXTRA.format(module=module))
        return EXIT_USAGE


def _check(args: argparse.Namespace) -> int:
    # Imported here: without the ops extra they fail, and main says so in one line.
    from alexho_invoice_ops.checks.access import StackSource
    from alexho_invoice_ops.render import as_json, as_text
    from alexho_invoice_ops.runner import CheckOptions, run_checks

    source = StackSource(
        stack_name=None if args.local else args.stack,
        region=args.region,
        state_file=args.state_file,
    )
    options = CheckOptions(
        token=args.token or os.environ.get(TOKEN_ENV) or None,
        timeout=args.timeout,
        log_lines=max(0, args.log_lines),
    )
    heading = "local stack" if source.is_local else f"stack {args.stack}"
    report = run_checks(source, options, os.environ)
    render = as_json if args.json else as_text
    sys.stdout.write(render(report, heading) + "\n")
    return EXIT_OK if report.ok else EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
