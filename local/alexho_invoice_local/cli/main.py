"""``alexho-local``: start and stop the local stack, point a backend at it, publish, listen,
mint tokens, play the demo.

Each command has a function that adds its parser (``_add_<command>``) and one that runs it
(``_<command>``, the parser's ``handler``); ``build_parser`` lists the commands.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, TypeAlias

from alexho_invoice_local.aws.publishing import local_publisher
from alexho_invoice_local.cli import arguments
from alexho_invoice_local.cli.arguments import EXIT_USAGE, OneLineParser, usage_error
from alexho_invoice_local.cli.backend_env import backend_exports
from alexho_invoice_local.cli.banner import DEMO_CUSTOMER_ID, ready_banner
from alexho_invoice_local.cli.demo import run_demo
from alexho_invoice_local.cli.listen import ListenOptions, listen
from alexho_invoice_local.cli.redrive import REDRIVE_SUMMARY, run_redrive
from alexho_invoice_local.cli.revoke import add_revoke_arguments, run_revoke
from alexho_invoice_local.endpoints import (
    NoRunningStackError,
    read_state,
    remove_state,
    state_file_path,
    write_state,
)
from alexho_invoice_local.functions.logs import lambda_output_to
from alexho_invoice_local.ports import PortInUseError
from alexho_invoice_local.process_tuning import FullCollections, tune_for_latency
from alexho_invoice_local.settings import (
    DEFAULT_HOST,
    DEFAULT_IDLE_TIMEOUT_SECONDS,
    DEFAULT_WEBSOCKET_PORT,
    LOG_LEVELS,
    StackSettings,
)
from alexho_invoice_local.shutdown import StopTimeoutError, stop_running_stack, wait_for_termination
from alexho_invoice_local.stack import LocalStack
from alexho_invoice_local.tokens import MAX_TTL_SECONDS, LocalTokens
from alexho_invoice_publisher import InvalidTokenRequestError, PublisherError
from alexho_invoice_runtime.contract import EventType, status_values
from alexho_invoice_runtime.definitions import MAX_CONNECTION_SECONDS

EXIT_FAILURE = 1
DOWN_TIMEOUT_SECONDS = 60.0

Handler: TypeAlias = Callable[[argparse.Namespace, Path], int]
Commands: TypeAlias = "argparse._SubParsersAction[OneLineParser]"


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = OneLineParser(
        prog="alexho-local",
        description="AlexHo Invoice Realtime on one machine: moto, a WebSocket gateway that "
        "behaves like API Gateway, and the deployed Lambda code.",
    )
    _add_state_file_option(parser, default=None)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_up(commands)
    _add_down(commands)
    _add_env(commands)
    _add_token(commands)
    _add_publish(commands)
    _add_listen(commands)
    _add_revoke(commands)
    _add_demo(commands)
    _add_command(commands, "redrive", REDRIVE_SUMMARY, _redrive)
    return parser


def _add_state_file_option(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--state-file",
        type=Path,
        default=default,
        help=f"where `up` records its endpoints for other commands (default {state_file_path()})",
    )


def _add_command(
    commands: Commands, name: str, summary: str, handler: Handler
) -> argparse.ArgumentParser:
    """A subcommand that also takes ``--state-file`` (after its name as well as before)."""
    command = commands.add_parser(name, help=summary, description=summary)
    _add_state_file_option(command, default=argparse.SUPPRESS)
    command.set_defaults(handler=handler)
    return command


def _add_up(commands: Commands) -> None:
    up = _add_command(commands, "up", "start the stack and wait for Ctrl-C (or `down`)", _up)
    up.add_argument(
        "--host", type=arguments.loopback, default=DEFAULT_HOST, help="loopback address only"
    )
    up.add_argument(
        "--port",
        type=arguments.port,
        default=DEFAULT_WEBSOCKET_PORT,
        help="WebSocket port (0: any free port)",
    )
    up.add_argument(
        "--management-port",
        type=arguments.port,
        default=None,
        help="Management API port (default: --port + 1)",
    )
    up.add_argument(
        "--moto-port", type=arguments.port, default=None, help="moto port (default: --port + 2)"
    )
    up.add_argument(
        "--demo-page-port",
        type=arguments.port,
        default=None,
        help="demo page port (default: --port + 3)",
    )
    up.add_argument(
        "--demo-page-dir",
        type=Path,
        default=None,
        help="the built demo page (default: frontend/demo/dist of this source tree)",
    )
    up.add_argument(
        "--idle-timeout",
        type=arguments.positive_seconds,
        default=DEFAULT_IDLE_TIMEOUT_SECONDS,
        help="seconds (API Gateway: 600)",
    )
    up.add_argument(
        "--max-age",
        type=arguments.positive_seconds,
        default=float(MAX_CONNECTION_SECONDS),
        help="seconds (API Gateway: 7200)",
    )
    up.add_argument(
        "--log-level",
        type=arguments.log_level,
        default="INFO",
        help=f"log level of the Lambda handlers ({', '.join(LOG_LEVELS)})",
    )
    up.add_argument(
        "--lambda-logs", type=Path, default=None, help="write handler logs to this file"
    )
    up.add_argument(
        "--fanout-concurrency",
        type=arguments.positive_integer,
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
    up.add_argument(
        "--allow-origin",
        dest="allowed_origins",
        type=arguments.web_origin,
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a browser origin besides loopback pages that may open WebSockets, e.g. "
        "http://192.168.1.5:3000 (repeatable)",
    )


def _add_down(commands: Commands) -> None:
    down = _add_command(
        commands, "down", "stop the running stack (as Ctrl-C does) and wait until it has", _down
    )
    down.add_argument(
        "--timeout",
        type=arguments.positive_seconds,
        default=DOWN_TIMEOUT_SECONDS,
        help=f"seconds to wait (default {DOWN_TIMEOUT_SECONDS:g})",
    )


def _add_env(commands: Commands) -> None:
    _add_command(
        commands,
        "env",
        'print the exports that point a backend at the stack: eval "$(alexho-local env)"',
        _env,
    )


def _add_token(commands: Commands) -> None:
    token = _add_command(commands, "token", "print a fresh connect token", _token)
    _add_identity_arguments(token)
    token.add_argument(
        "--ttl",
        type=arguments.token_ttl,
        default=MAX_TTL_SECONDS,
        help=f"seconds (1 to {MAX_TTL_SECONDS}; default {MAX_TTL_SECONDS})",
    )


def _add_publish(commands: Commands) -> None:
    publish = _add_command(
        commands, "publish", "publish an invoice event with the publisher SDK", _publish
    )
    publish.add_argument("event_type", choices=[str(t) for t in EventType])
    publish.add_argument("--invoice-id", required=True)
    publish.add_argument("--customer-id", type=arguments.customer_id, required=True)
    publish.add_argument("--status", required=True, choices=status_values())
    publish.add_argument("--data", default="{}", help="further invoice fields, as a JSON object")


def _add_listen(commands: Commands) -> None:
    listen_parser = _add_command(
        commands, "listen", "connect and print frames as they arrive", _listen
    )
    _add_identity_arguments(listen_parser)
    listen_parser.add_argument(
        "--resume-after",
        type=arguments.cursor,
        default=None,
        help="the cursor of the last event frame seen: replay what came after it",
    )
    listen_parser.add_argument(
        "--count", type=arguments.positive_integer, default=None, help="stop after this many events"
    )
    listen_parser.add_argument(
        "--seconds", type=arguments.positive_seconds, default=None, help="stop after this long"
    )


def _add_revoke(commands: Commands) -> None:
    add_revoke_arguments(
        _add_command(
            commands,
            "revoke",
            "close an identity's connections and refuse its tokens issued until now",
            _revoke,
        )
    )


def _add_demo(commands: Commands) -> None:
    demo = _add_command(
        commands, "demo", "play the seed scenario (starts a stack if none runs)", _demo
    )
    demo.add_argument(
        "--lambda-logs", type=Path, default=None, help="handler logs of an in-process stack"
    )


def _add_identity_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as", dest="role", choices=("admin", "customer"), required=True)
    parser.add_argument(
        "--customer-id",
        type=arguments.customer_id,
        default=None,
        help=f"for --as customer (e.g. {DEMO_CUSTOMER_ID})",
    )
    parser.add_argument("--subject", default=None, help="the token's sub claim")


def _identity_problem(args: argparse.Namespace) -> str | None:
    if args.role == "customer" and args.customer_id is None:
        return "--as customer needs --customer-id"
    if args.role == "admin" and args.customer_id is not None:
        return "--customer-id is for --as customer only (an admin sees every customer)"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``alexho-local`` command; returns its exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # Route handlers share one "container" across threads here (on Lambda, one invocation at a
    # time): botocore's pools then overflow harmlessly, which urllib3 reports for every request.
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
    handler: Handler = args.handler
    try:
        return handler(args, args.state_file or state_file_path())
    except NoRunningStackError as error:
        print(f"alexho-local: {error}", file=sys.stderr)
        return EXIT_FAILURE


@contextlib.contextmanager
def _lambda_output(path: Path | None) -> Iterator[IO[str] | None]:
    if path is None:
        yield None
        return
    # Line by line, as the fan-out containers append to the same file: a block-buffered
    # flush could split a line (or a character) around another process's write.
    with path.open("a", encoding="utf-8", buffering=1) as sink, lambda_output_to(sink):
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
            f"{running.websocket_url}); stop it first with `alexho-local down`",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        settings = StackSettings(
            host=args.host,
            websocket_port=args.port,
            management_port=args.management_port,
            moto_port=args.moto_port,
            demo_page_port=args.demo_page_port,
            demo_page_dir=str(args.demo_page_dir) if args.demo_page_dir else None,
            idle_timeout_seconds=args.idle_timeout,
            max_connection_seconds=args.max_age,
            log_level=args.log_level,
            fanout_log_file=str(args.lambda_logs) if args.lambda_logs else None,
            fanout_concurrency=args.fanout_concurrency,
            extra_lambda_env=_environment_pairs(args.lambda_env),
            allowed_origins=tuple(args.allowed_origins),
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
            with FullCollections():
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


def _redrive(args: argparse.Namespace, state_file: Path) -> int:
    return run_redrive(read_state(state_file))


def _down(args: argparse.Namespace, state_file: Path) -> int:
    endpoints = read_state(state_file)
    print(f"Stopping the local stack (pid {endpoints.pid})…", flush=True)
    try:
        stop_running_stack(endpoints, state_file, args.timeout)
    except StopTimeoutError as error:
        print(f"alexho-local: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except ValueError as error:
        return usage_error("down", str(error))
    print("Stopped.")
    return 0


def _env(_args: argparse.Namespace, state_file: Path) -> int:
    print(backend_exports(read_state(state_file)))
    return 0


def _revoke(args: argparse.Namespace, state_file: Path) -> int:
    return run_revoke(args, read_state(state_file))


def _token(args: argparse.Namespace, state_file: Path) -> int:
    problem = _identity_problem(args)
    if problem:
        return usage_error("token", problem)
    endpoints = read_state(state_file)
    try:
        print(LocalTokens(endpoints, args.ttl).for_role(args.role, args.customer_id, args.subject))
    except (ValueError, PublisherError) as error:
        print(f"alexho-local: {error}", file=sys.stderr)
        return EXIT_USAGE
    return 0


def _publish(args: argparse.Namespace, state_file: Path) -> int:
    try:
        data = json.loads(args.data)
    except ValueError:
        print("alexho-local: --data must be a JSON object", file=sys.stderr)
        return EXIT_USAGE
    if not isinstance(data, dict):
        print("alexho-local: --data must be a JSON object", file=sys.stderr)
        return EXIT_USAGE
    data["status"] = args.status
    endpoints = read_state(state_file)
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


def _listen(args: argparse.Namespace, state_file: Path) -> int:
    problem = _identity_problem(args)
    if problem:
        return usage_error("listen", problem)
    endpoints = read_state(state_file)
    options = ListenOptions(
        role=args.role,
        customer_id=args.customer_id,
        subject=args.subject,
        resume_after=args.resume_after,
        max_events=args.count,
        seconds=args.seconds,
    )
    try:
        with contextlib.suppress(KeyboardInterrupt):
            return asyncio.run(listen(endpoints, options))
    except InvalidTokenRequestError as error:  # e.g. a --subject the publisher SDK refuses
        return usage_error("listen", str(error))
    return 0


if __name__ == "__main__":
    sys.exit(main())
