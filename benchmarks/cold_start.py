"""Cold-start cost of each Lambda handler module, measured in fresh Python processes.

For every handler, N fresh interpreters each time (``time.perf_counter``):

* ``import``: importing the handler module (what Lambda's init phase runs), and
* ``import+clients``: that plus creating the boto3 clients/resources the handler's first
  invocation creates (no network call is made: creating a client is local work),

beside the baseline a bare handler would pay: ``import boto3`` plus creating one client.
The table shows medians and each handler's ``import+clients`` minus the baseline, against the
target of at most 60 ms above it.

    python benchmarks/cold_start.py            # 15 runs per row
    python benchmarks/cold_start.py --runs 31  # steadier medians
    python benchmarks/cold_start.py --detail alexho_invoice_runtime.handlers.authorizer
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Final

REPO: Final = Path(__file__).resolve().parent.parent
TARGET_MS: Final = 60.0

BASELINE: Final = "import boto3\nboto3.client('dynamodb')"
#: handler module -> the client set-up its first invocation does.
HANDLERS: Final = {
    "alexho_invoice_runtime.handlers.authorizer": (
        "from alexho_invoice_runtime import aws_clients\naws_clients.secretsmanager()  # HS256 mode"
    ),
    "alexho_invoice_runtime.handlers.connect": (
        "from alexho_invoice_runtime import aws_clients\naws_clients.connections_table()"
    ),
    "alexho_invoice_runtime.handlers.disconnect": (
        "from alexho_invoice_runtime import aws_clients\naws_clients.connections_table()"
    ),
    "alexho_invoice_runtime.handlers.default": (
        "from alexho_invoice_runtime import aws_clients\naws_clients.connections_table()\n"
        "aws_clients.event_log_table()\naws_clients.management_api()"
    ),
    "alexho_invoice_runtime.handlers.send_invoice_update": (
        "from alexho_invoice_runtime import aws_clients\naws_clients.connections_table()\n"
        "aws_clients.event_log_table()\naws_clients.management_api()"
    ),
}

_TIMER = """
import time
_start = time.perf_counter()
{body}
print((time.perf_counter() - _start) * 1000)
"""


def _environment() -> dict[str, str]:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "PYTHON"))
    }
    env.update(
        AWS_DEFAULT_REGION="eu-west-1",
        AWS_REGION="eu-west-1",
        AWS_ACCESS_KEY_ID="benchmark",
        AWS_SECRET_ACCESS_KEY="benchmark",
        CONNECTIONS_TABLE_NAME="bench-connections",
        EVENT_LOG_TABLE_NAME="bench-event-log",
        WEBSOCKET_CALLBACK_URL="https://abcdef123.execute-api.eu-west-1.amazonaws.com/bench",
        AUTH_MODE="HS256",
        AUTH_SECRET_ID="bench-secret",
    )
    return env


def _run_once(body: str, env: dict[str, str]) -> float:
    result = subprocess.run(
        [sys.executable, "-c", _TIMER.format(body=body)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        check=True,
    )
    return float(result.stdout.strip().splitlines()[-1])


def measure(bodies: dict[str, str], runs: int, env: dict[str, str]) -> dict[str, list[float]]:
    """Wall times (ms) of each body over ``runs`` fresh interpreters, interleaved (one round
    runs every body once), so that load from other processes spreads over all rows alike.
    One warm-up round first, so the ``.pyc`` files exist, as in a package with bytecode."""
    for body in bodies.values():
        _run_once(body, env)
    times: dict[str, list[float]] = {name: [] for name in bodies}
    for _ in range(runs):
        for name, body in bodies.items():
            times[name].append(_run_once(body, env))
    return times


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

    bodies = {"baseline": BASELINE}
    for module, clients in HANDLERS.items():
        bodies[f"{module}:import"] = f"import {module}"
        bodies[f"{module}:ready"] = f"import {module}\n{clients}"
    times = measure(bodies, args.runs, env)
    median = {name: statistics.median(values) for name, values in times.items()}
    fastest = {name: min(values) for name, values in times.items()}
    baseline = median["baseline"]

    print(f"Python {sys.version.split()[0]}, {args.runs} fresh processes per row, medians")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs\n")
    header = f"{'module':42} {'import':>9} {'import+clients':>15} {'vs baseline':>12}"
    print(f"{header} {'(min vs min)':>13}  target")
    print(f"{'baseline: import boto3 + 1 client':42} {'':>9} {baseline:12.1f} ms")
    failed = False
    for module in HANDLERS:
        imported = median[f"{module}:import"]
        ready = median[f"{module}:ready"]
        delta = ready - baseline
        delta_min = fastest[f"{module}:ready"] - fastest["baseline"]
        verdict = "ok" if delta <= TARGET_MS else f"OVER {TARGET_MS:.0f} ms"
        failed |= delta > TARGET_MS
        print(
            f"{module:42} {imported:6.1f} ms {ready:12.1f} ms {delta:+9.1f} ms"
            f" {delta_min:+10.1f} ms  {verdict}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
