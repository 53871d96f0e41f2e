"""Check 7, the functions: errors and throttles of the last hour (CloudWatch metrics), and the
fan-out's last error lines from its log group."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from alexho_invoice_ops.aws_errors import describe, error_code
from alexho_invoice_ops.results import CheckResult, Status
from alexho_invoice_ops.target import CheckTarget

KEY: Final = "functions"
TITLE: Final = "Functions"
WINDOW: Final = timedelta(hours=1)
END_SLACK: Final = timedelta(minutes=1)
#: Matches the runtime's JSON lines (``"level":"ERROR"``) and the Lambda runtime's ``[ERROR]``.
ERROR_FILTER_PATTERN: Final = "ERROR"
MAX_LINE_CHARACTERS: Final = 300
MAX_LOG_PAGES: Final = 20


def check_functions(target: CheckTarget, log_lines: int) -> CheckResult:
    """Sum ``Errors`` and ``Throttles`` per function; show the fan-out's last ``log_lines``."""
    if target.is_local:
        return CheckResult.skipped(
            KEY,
            TITLE,
            "the local stack keeps no CloudWatch metrics; its functions log to the console "
            "of `alexho-local up` (or its --lambda-logs file)",
        )
    # CloudWatch truncates times to the second: end a little ahead, so nothing just put is missed.
    now = datetime.now(UTC) + END_SLACK
    try:
        counts = _errors_and_throttles(target, now)
    except (BotoCoreError, ClientError) as error:
        return CheckResult.failed(
            KEY,
            TITLE,
            f"cannot read CloudWatch metrics: {describe(error)}",
            "allow cloudwatch:GetMetricData to the check's credentials",
        )
    lines, log_problem = _last_error_lines(target, now, log_lines)
    troubled = {name: c for name, c in counts.items() if c["errors"] or c["throttles"]}
    errors = sum(c["errors"] for c in counts.values())
    throttles = sum(c["throttles"] for c in counts.values())
    summary = (
        f"last hour: {errors} error(s), {throttles} throttle(s) over {len(counts)} functions; "
        f"{len(lines)} error line(s) in the fan-out's log"
    )
    if log_problem:
        summary += f" ({log_problem})"
    details = {"functions": counts, "fanoutErrorLines": lines}
    if troubled:
        worst = ", ".join(
            f"{name}: {c['errors']} errors, {c['throttles']} throttles"
            for name, c in sorted(troubled.items())
        )
        return CheckResult(
            KEY,
            TITLE,
            Status.FAILED,
            f"{summary} — {worst}",
            fix="read the error lines below and the functions' log groups; throttles: raise "
            "the account's Lambda concurrency or the functions' reserved concurrency",
            details=details,
            notes=tuple(lines),
        )
    return CheckResult(KEY, TITLE, Status.PASSED, summary, details=details, notes=tuple(lines))


def _errors_and_throttles(target: CheckTarget, now: datetime) -> dict[str, dict[str, int]]:
    queries: list[dict[str, Any]] = []
    for index, name in enumerate(target.function_names):
        for metric, prefix in (("Errors", "e"), ("Throttles", "t")):
            queries.append(
                {
                    "Id": f"{prefix}{index}",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/Lambda",
                            "MetricName": metric,
                            "Dimensions": [{"Name": "FunctionName", "Value": name}],
                        },
                        "Period": int(WINDOW.total_seconds()),
                        "Stat": "Sum",
                    },
                    "ReturnData": True,
                }
            )
    counts = {name: {"errors": 0, "throttles": 0} for name in target.function_names}
    if not queries:
        return counts
    response = target.client("cloudwatch").get_metric_data(
        MetricDataQueries=queries, StartTime=now - WINDOW, EndTime=now
    )
    for result in response.get("MetricDataResults", []):
        query_id = str(result["Id"])
        name = target.function_names[int(query_id[1:])]
        field = "errors" if query_id.startswith("e") else "throttles"
        counts[name][field] += int(sum(result.get("Values", [])))
    return counts


def _last_error_lines(target: CheckTarget, now: datetime, count: int) -> tuple[list[str], str]:
    """The last ``count`` error lines of the fan-out's log group in the window."""
    if count <= 0 or target.fanout_function is None:
        return [], ""
    group = f"/aws/lambda/{target.fanout_function}"
    request: dict[str, Any] = {
        "logGroupName": group,
        "startTime": int((now - WINDOW).timestamp() * 1000),
        "endTime": int(now.timestamp() * 1000),
        "filterPattern": ERROR_FILTER_PATTERN,
    }
    lines: list[str] = []
    logs = target.client("logs")
    try:
        for _ in range(MAX_LOG_PAGES):
            page = logs.filter_log_events(**request)
            lines.extend(
                str(event.get("message", "")).strip()[:MAX_LINE_CHARACTERS]
                for event in page.get("events", [])
            )
            lines = lines[-count:]
            next_token = page.get("nextToken")
            if not next_token:
                break
            request["nextToken"] = next_token
    except (BotoCoreError, ClientError) as error:
        if error_code(error) == "ResourceNotFoundException":
            return [], f"no log group {group}"
        return [], f"cannot read {group}: {describe(error)}"
    return lines, ""
