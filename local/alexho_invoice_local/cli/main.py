"""``alexho-local``: start the local stack, publish, listen, mint tokens, play the demo."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from alexho_invoice_local.aws.publishing import local_publisher
from alexho_invoice_local.cli.banner import DEMO_CUSTOMER_ID, ready_banner
from alexho_invoice_local.cli.demo import run_demo
from alexho_invoice_local.cli.listen import ListenOptions, listen
from alexho_invoice_local.cli.redrive import add_redrive_parser, run_redrive
from alexho_invoice_local.endpoints import (
    NoRunningStackError,
    StackEndpoints,
    read_state,
    remove_state,
    state_file_path,
    write_state,
)
from alexho_invoice_local.functions.logs import lambda_output_to
from alexho_invoice_local.ports import PortInUseError
from alexho_invoice_local.process_tuning import tune_for_latency
from alexho_invoice_local.settings import (
    DEFAULT_HOST,
    DEFAULT_IDLE_TIMEOUT_SECONDS,
    DEFAULT_WEBSOCKET_PORT,
    NotLoopbackError,
    StackSettings,
    loopback_host,
)
from alexho_invoice_local.shutdown import wait_for_termination
from alexho_invoice_local.stack import LocalStack
from alexho_invoice_local.tokens import MAX_TTL_SECONDS, LocalTokens
from alexho_invoice_publisher import PublisherError
from alexho_invoice_runtime.contract import EventType, status_values
from alexho_invoice_runtime.definitions import MAX_CONNECTION_SECONDS

EXIT_FAILURE = 1
EXIT_USAGE = 2


def _host(value: str) -> str:
    try:
        return loopback_host(value)
    except NotLoopbackError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {value}")
    return number


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="alexho-local",
        description="AlexHo Invoice Realtime on one machine: moto, a WebSocket gateway that "
        "behaves like API Gateway, and the deployed Lambda code.",
    )
    parser.add_argument(
        "--state-file",
        type=Path,
        default=None,
        help=f"where `up` records its endpoints for other commands (default {state_file_path()})",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="start the stack and wait for Ctrl-C")
    up.add_argument("--host", type=_host, default=DEFAULT_HOST, help="loopback address only")
    up.add_argument(
        "--port", type=int, default=DEFAULT_WEBSOCKET_PORT, help="WebSocket port (0: any free port)"
    )
    up.add_argument(
        "--management-port",
        type=int,
        default=None,
        help="Management API port (default: --port + 1)",
    )
    up.add_argument("--moto-port", type=int, default=None, help="moto port (default: --port + 2)")
    up.add_argument(
        "--idle-timeout",
        type=_positive,
        default=DEFAULT_IDLE_TIMEOUT_SECONDS,
        help="seconds (API Gateway: 600)",
    )
    up.add_argument(
        "--max-age",
        type=_positive,
        default=float(MAX_CONNECTION_SECONDS),
        help="seconds (API Gateway: 7200)",
    )
    up.add_argument("--log-level", default="INFO", help="log level of the Lambda handlers")
    up.add_argument(
        "--lambda-logs", type=Path, default=None, help="write handler logs to this file"
    )
    up.add_argument(
        "--fanout-concurrency",
        type=int,
        default=StackSettings.fanout_concurrency,
        help="concurrent fan-out invocations (containers)",
    )
    up.add_argument(
        "--env",
        dest="lambda_env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra handler environment variable, e.g. FANOUT_WORKERS=8 (repeatable)",
    )

    token = commands.add_parser("token", help="print a fresh connect token")
    _add_identity_arguments(token)
    token.add_argument("--ttl", type=int, default=MAX_TTL_SECONDS, help="seconds (at most 3600)")

    publish = commands.add_parser("publish", help="publish an invoice event with the publisher SDK")
    publish.add_argument("event_type", choices=[str(t) for t in EventType])
    publish.add_argument("--invoice-id", required=True)
    publish.add_argument("--customer-id", required=True)
    publish.add_argument("--status", required=True, choices=status_values())
    publish.add_argument("--data", default="{}", help="further invoice fields, as a JSON object")

    listen_parser = commands.add_parser("listen", help="connect and print frames as they arrive")
    _add_identity_arguments(listen_parser)
    listen_parser.add_argument("--resume-after", default=None, help="cursor to resume after")
    listen_parser.add_argument(
        "--count", type=int, default=None, help="stop after this many events"
    )
    listen_parser.add_argument(
        "--seconds", type=_positive, default=None, help="stop after this long"
    )

    demo = commands.add_parser("demo", help="play the seed scenario (starts a stack if none runs)")
    demo.add_argument(
        "--lambda-logs", type=Path, default=None, help="handler logs of an in-process stack"
    )
    add_redrive_parser(commands)
    return parser


def _add_identity_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as", dest="role", choices=("admin", "customer"), required=True)
    parser.add_argument(
        "--customer-id", default=None, help=f"for --as customer (e.g. {DEMO_CUSTOMER_ID})"
    )
    parser.add_argument("--subject", default=None, help="the token's sub claim")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``alexho-local`` console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # Route handlers share one "container" across threads here (on Lambda, one invocation at a
    # time): botocore's pools then overflow harmlessly, which urllib3 reports for every request.
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
    state_file: Path = args.state_file or state_file_path()
    if args.command == "up":
        return _up(args, state_file)
    if args.command == "demo":
        return _demo(args, state_file)
    try:
        endpoints = read_state(state_file)
    except NoRunningStackError as error:
        print(f"alexho-local: {error}", file=sys.stderr)
        return EXIT_FAILURE
    if args.command == "token":
        return _token(args, endpoints)
    if args.command == "publish":
        return _publish(args, endpoints)
    if args.command == "redrive":
        return run_redrive(endpoints)
    options = ListenOptions(
        role=args.role,
        customer_id=args.customer_id,
        subject=args.subject,
        resume_after=args.resume_after,
        max_events=args.count,
        seconds=args.seconds,
    )
    if args.role == "customer" and not args.customer_id:
        print("alexho-local: --as customer needs --customer-id", file=sys.stderr)
        return EXIT_USAGE
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(listen(endpoints, options))
    return 0


@contextlib.contextmanager
def _lambda_output(path: Path | None) -> Iterator[IO[str] | None]:
    if path is None:
        yield None
        return
    with path.open("a", encoding="utf-8") as sink, lambda_output_to(sink):
        yield sink


def _environment_pairs(pairs: list[str]) -> dict[str, str]:
    variables = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator or not name:
            raise ValueError(f"--env takes NAME=VALUE, not {pair!r}")
        variables[name] = value
    return variables


def _up(args: argparse.Namespace, state_file: Path) -> int:
    try:
        running = read_state(state_file)
    except NoRunningStackError:
        pass
    else:
        print(
            f"alexho-local: a local stack is already running (pid {running.pid}, "
            f"{running.websocket_url}); stop it first",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        settings = StackSettings(
            host=args.host,
            websocket_port=args.port,
            management_port=args.management_port,
            moto_port=args.moto_port,
            idle_timeout_seconds=args.idle_timeout,
            max_connection_seconds=args.max_age,
            log_level=args.log_level.upper(),
            fanout_log_file=str(args.lambda_logs) if args.lambda_logs else None,
            fanout_concurrency=args.fanout_concurrency,
            extra_lambda_env=_environment_pairs(args.lambda_env),
        )
    except ValueError as error:
        print(f"alexho-local: {error}", file=sys.stderr)
        return EXIT_USAGE
    tune_for_latency()
    with _lambda_output(args.lambda_logs):
        stack = LocalStack(settings)
        try:
            endpoints = stack.start()
        except PortInUseError as error:
            print(f"alexho-local: {error.strerror}", file=sys.stderr)
            return EXIT_USAGE
        try:
            write_state(endpoints, state_file)
            tokens = LocalTokens(endpoints)
            print(
                ready_banner(
                    endpoints,
                    settings,
                    state_file,
                    tokens.admin(),
                    tokens.customer(DEMO_CUSTOMER_ID),
                    MAX_TTL_SECONDS,
                ),
                flush=True,
            )
            wait_for_termination()
            print("Stopping: closing connections ($disconnect), draining delivery…", flush=True)
        finally:
            stack.stop()
            remove_state(endpoints, state_file)
    print("Stopped.", flush=True)
    return 0


def _demo(args: argparse.Namespace, state_file: Path) -> int:
    try:
        return run_demo(read_state(state_file))
    except NoRunningStackError:
        pass
    log_path: Path = args.lambda_logs or state_file.parent / "demo-lambda.log"
    log_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    print(f"No stack running: starting one in this process (handler logs: {log_path})")
    settings = StackSettings(websocket_port=0, log_level="INFO", fanout_log_file=str(log_path))
    with _lambda_output(log_path), LocalStack(settings) as stack:
        return run_demo(stack.endpoints)


def _token(args: argparse.Namespace, endpoints: StackEndpoints) -> int:
    try:
        print(LocalTokens(endpoints, args.ttl).for_role(args.role, args.customer_id, args.subject))
    except (ValueError, PublisherError) as error:
        print(f"alexho-local: {error}", file=sys.stderr)
        return EXIT_USAGE
    return 0


def _publish(args: argparse.Namespace, endpoints: StackEndpoints) -> int:
    try:
        data = json.loads(args.data)
    except ValueError:
        print("alexho-local: --data must be a JSON object", file=sys.stderr)
        return EXIT_USAGE
    if not isinstance(data, dict):
        print("alexho-local: --data must be a JSON object", file=sys.stderr)
        return EXIT_USAGE
    data["status"] = args.status
    try:
        result = local_publisher(endpoints).publish(
            args.event_type, args.invoice_id, args.customer_id, data
        )
    except PublisherError as error:
        print(f"alexho-local: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(
        f"published {args.event_type} for {args.invoice_id} "
        f"(event id {result.event_id}, SNS message id {result.message_id})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
