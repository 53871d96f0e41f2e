"""The outcome of one check: passed, failed (with the fix) or skipped (with the reason)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """How a check ended. Only ``FAILED`` makes the command exit 1."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class CheckResult:
    """One line of the report, with the figures behind it in ``details``."""

    key: str
    title: str
    status: Status
    summary: str
    fix: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    #: Further lines shown under the summary (e.g. the fan-out's last error lines).
    notes: tuple[str, ...] = ()

    @classmethod
    def passed(cls, key: str, title: str, summary: str, **details: Any) -> CheckResult:
        """A passed check."""
        return cls(key, title, Status.PASSED, summary, details=details)

    @classmethod
    def failed(cls, key: str, title: str, summary: str, fix: str, **details: Any) -> CheckResult:
        """A failed check and what to do about it."""
        return cls(key, title, Status.FAILED, summary, fix=fix, details=details)

    @classmethod
    def skipped(cls, key: str, title: str, reason: str, **details: Any) -> CheckResult:
        """A check that could not run, and why."""
        return cls(key, title, Status.SKIPPED, reason, details=details)

    def to_json(self) -> dict[str, Any]:
        """The result as a JSON-ready mapping."""
        return {
            "check": self.key,
            "title": self.title,
            "status": str(self.status),
            "summary": self.summary,
            "fix": self.fix,
            "details": self.details,
            "notes": list(self.notes),
        }


def all_passed(results: list[CheckResult]) -> bool:
    """Whether no check failed (skipped checks do not fail the run)."""
    return all(result.status is not Status.FAILED for result in results)
