"""The report as text (one line per check: ✓, ✗ with the fix, or - with the reason) or JSON."""

from __future__ import annotations

import json
from collections import Counter

from alexho_invoice_ops.results import Status
from alexho_invoice_ops.runner import Report

MARKS = {Status.PASSED: "✓", Status.FAILED: "✗", Status.SKIPPED: "-"}


def as_text(report: Report, heading: str) -> str:
    """Human-readable report."""
    lines = [f"alexho-realtime check: {heading}"]
    for result in report.results:
        lines.append(f"{MARKS[result.status]} {result.title}: {result.summary}")
        lines.extend(f"    | {note}" for note in result.notes)
        if result.fix:
            lines.append(f"    fix: {result.fix}")
    counts = Counter(result.status for result in report.results)
    lines.append(
        f"{counts[Status.PASSED]} passed, {counts[Status.FAILED]} failed, "
        f"{counts[Status.SKIPPED]} skipped"
    )
    return "\n".join(lines)


def as_json(report: Report, heading: str) -> str:
    """Machine-readable report."""
    return json.dumps(
        {
            "target": report.target.to_json() if report.target else {"description": heading},
            "ok": report.ok,
            "checks": [result.to_json() for result in report.results],
        },
        indent=2,
        default=str,
    )
