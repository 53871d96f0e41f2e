"""Cold-start cost of each Lambda handler module, measured in fresh Python processes.

For every handler, N fresh interpreters each time (``time.perf_counter``):

* ``import``: importing the handler module (what Lambda's init phase runs), and
* ``import+clients``: that plus creating the AWS clients its first invocation creates (through
  the runtime's AWS layer, ``alexho_invoice_runtime.aws``; no network call is made),

beside the baseline a bare boto3 handler would pay: ``import boto3`` plus creating one client.
Targets, judged min vs min (steadier than medians on a busy machine): every WebSocket-path
handler (authorizer in both modes, ``$connect``, ``$disconnect``, ``$default``) starts no slower
than the baseline, the fan-out at most 30 ms above it; and no handler imports boto3 at all
(the ``boto3`` column), as the runtime reaches AWS through its own layer.

    python benchmarks/cold_start.py            # 15 runs per row
    python benchmarks/cold_start.py --runs 9
    python benchmarks/cold_start.py --detail alexho_invoice_runtime.handlers.authorizer
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from alexho_invoice_runtime.definitions import AUTH_MODE_HS256, AUTH_MODE_JWKS, Env

REPO: Final = Path(__file__).resolve().parent.parent
#: Most a handler's ``import+clients`` may exceed the baseline, min vs min.
WEBSOCKET_TARGET_MS: Final = 0.0
FANOUT_TARGET_MS: Final = 30.0

BASELINE: Final = "import boto3\nboto3.client('dynamodb')"


@dataclass(frozen=True)
class Row:
    """One handler module in one configuration, and the set-up its first invocation does."""

    label: str
    module: str
    clients: str
    env: dict[str, str] = field(default_factory=dict)
    #: How far above the baseline (min vs min) its import+clients may be.
    target_ms: float = WEBSOCKET_TARGET_MS


_CLIENTS: Final = "from alexho_invoice_runtime.aws import clients\n"
_VERIFIER: Final = (
    "from alexho_invoice_runtime.auth.verifier import default_verifier\ndefault_verifier()\n"
)
ROWS: Final = (
    Row(
        "authorizer (HS256)",
        "alexho_invoice_runtime.handlers.authorizer",
        _CLIENTS + _VERIFIER + "clients.secrets()",
    ),
    Row(
        "authorizer (JWKS)",
        "alexho_invoice_runtime.handlers.authorizer",
        _VERIFIER,
        env={
            Env.AUTH_MODE: AUTH_MODE_JWKS,
            Env.AUTH_JWKS_URL: "https://issuer.example.com/.well-known/jwks.json",
            Env.AUTH_ISSUER: "https://issuer.example.com/",
            Env.AUTH_AUDIENCE: "alexho-invoice",
        },
    ),
    Row(
        "connect",
        "alexho_invoice_runtime.handlers.connect",
        _CLIENTS + "clients.connections_table()\nclients.revocations_table()",
    ),
    Row(
        "disconnect",
        "alexho_invoice_runtime.handlers.disconnect",
        _CLIENTS + "clients.connections_table()",
    ),
    Row(
        "default",
        "alexho_invoice_runtime.handlers.default",
        _CLIENTS + "clients.connections_table()\nclients.event_log_table()\n"
        "clients.revocations_table()\nclients.connections_api()",
    ),
    Row(
        "send_invoice_update",
        "alexho_invoice_runtime.handlers.send_invoice_update",
        "from alexho_invoice_runtime.fanout.delivery import event_delivery\n"
        "from alexho_invoice_runtime.fanout.settings import FanoutSettings\n"
        "event_delivery(FanoutSettings.from_environ())",
        target_ms=FANOUT_TARGET_MS,
    ),
)

_TIMER = """
import sys, time, json
_start = time.perf_counter()
{body}
print(json.dumps([(time.perf_counter() - _start) * 1000, "boto3" in sys.modules]))
"""


def _environment() -> dict[str, str]:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "PYTHON"))
    }
    env.update(
        {
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": "benchmark",
            "AWS_SECRET_ACCESS_KEY": "benchmark",
            # Creating clients calls nothing; should anything call, it reaches a dead loopback
            # port, never AWS.
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            Env.CONNECTIONS_TABLE: "bench-connections",
            Env.EVENT_LOG_TABLE: "bench-event-log",
            Env.REVOCATIONS_TABLE: "bench-revocations",
            Env.CALLBACK_URL: "https://abcdef123.execute-api.eu-west-1.amazonaws.com/bench",
            Env.AUTH_MODE: AUTH_MODE_HS256,
            Env.AUTH_SECRET_ID: "bench-secret",
        }
    )
    return env


def _run_once(body: str, env: dict[str, str]) -> tuple[float, bool]:
    """(wall ms, whether boto3 was imported) of ``body`` in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", _TIMER.format(body=body)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        check=True,
    )
    elapsed, boto3_imported = json.loads(result.stdout.strip().splitlines()[-1])
    return float(elapsed), bool(boto3_imported)


@dataclass
class Timings:
    """Wall times of one body over fresh processes, and whether any of them imported boto3."""

    times: list[float] = field(default_factory=list)
    boto3_imported: bool = False


def measure(bodies: dict[str, tuple[str, dict[str, str]]], runs: int) -> dict[str, Timings]:
    """Wall times (ms) of each (body, environment) over ``runs`` fresh interpreters,
    interleaved (one round runs every body once), so that load from other processes spreads
    over all rows alike. One warm-up round first, so the ``.pyc`` files exist, as in a package
    with bytecode."""
    for body, env in bodies.values():
        _run_once(body, env)
    timings = {name: Timings() for name in bodies}
    for _ in range(runs):
        for name, (body, env) in bodies.items():
            elapsed, imported = _run_once(body, env)
            timings[name].times.append(elapsed)
            timings[name].boto3_imported |= imported
    return timings


def import_detail(module: str, env: dict[str, str], top: int = 12) -> list[tuple[int, str]]:
    """The ``top`` imports with the largest cumulative time (µs) from ``-X importtime``."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        check=True,
    )
    rows = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = (part.strip() for part in line[len("import time:") :].split("|"))
        rows.append((int(cumulative), name))
    return sorted(rows, reverse=True)[:top]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="fresh processes per row")
    parser.add_argument("--detail", metavar="MODULE", help="print -X importtime's top imports")
    args = parser.parse_args()
    env = _environment()

    if args.detail:
        for cumulative, name in import_detail(args.detail, env):
            print(f"{cumulative / 1000:8.1f} ms  {name}")
        return 0

    bodies = {"baseline": (BASELINE, env)}
    for row in ROWS:
        row_env = {**env, **row.env}
        bodies[f"{row.label}:import"] = (f"import {row.module}", row_env)
        bodies[f"{row.label}:ready"] = (f"import {row.module}\n{row.clients}", row_env)
    timings = measure(bodies, args.runs)
    median = {name: statistics.median(t.times) for name, t in timings.items()}
    fastest = {name: min(t.times) for name, t in timings.items()}
    baseline = median["baseline"]

    print(f"Python {sys.version.split()[0]}, {args.runs} fresh processes per row, medians")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs\n")
    header = f"{'handler':24} {'import':>9} {'import+clients':>15} {'vs baseline':>12}"
    print(f"{header} {'(min vs min)':>13} {'boto3':>6}  target (min vs min)")
    print(
        f"{'baseline: import boto3 + 1 client':37} {baseline:12.1f} ms"
        f" {'':12} {fastest['baseline']:10.1f} ms (min)"
    )
    failed = False
    for row in ROWS:
        imported = median[f"{row.label}:import"]
        ready = median[f"{row.label}:ready"]
        delta = ready - baseline
        delta_min = fastest[f"{row.label}:ready"] - fastest["baseline"]
        boto3_imported = timings[f"{row.label}:ready"].boto3_imported
        problems = [f"OVER +{row.target_ms:.0f} ms"] if delta_min > row.target_ms else []
        if boto3_imported:
            problems.append("IMPORTS boto3")
        failed |= bool(problems)
        print(
            f"{row.label:24} {imported:6.1f} ms {ready:12.1f} ms {delta:+9.1f} ms"
            f" {delta_min:+10.1f} ms {'yes' if boto3_imported else 'no':>6}"
            f"  {', '.join(problems) or 'ok'} (<= {row.target_ms:+.0f} ms)"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
