"""Check 1, AWS access: usable credentials and region (STS), and the stack with its outputs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from alexho_invoice_ops.aws_errors import describe
from alexho_invoice_ops.discovery import DiscoveryError, discover_local, discover_stack
from alexho_invoice_ops.results import CheckResult
from alexho_invoice_ops.target import CheckTarget, make_client

KEY: Final = "access"
TITLE: Final = "AWS access"
#: Stack states in which the resources are not (or no longer) all there.
UNUSABLE_STACK_STATES: Final = frozenset(
    {"CREATE_FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_IN_PROGRESS", "DELETE_FAILED"}
)
CREDENTIALS_FIX: Final = (
    "configure AWS credentials (aws configure, AWS_PROFILE or aws sso login) "
    "and a region (--region or AWS_REGION)"
)


@dataclass(frozen=True)
class StackSource:
    """Which stack to check: a deployed one by name (``--stack``), or the local one."""

    stack_name: str | None = None
    region: str | None = None
    state_file: Path | None = None

    @property
    def is_local(self) -> bool:
        """Whether the running local stack is meant."""
        return self.stack_name is None


def check_access(source: StackSource) -> tuple[CheckResult, CheckTarget | None]:
    """Find the stack; the target is ``None`` when it cannot be checked any further."""
    if source.is_local:
        try:
            target = discover_local(source.state_file)
        except DiscoveryError as error:
            return CheckResult.failed(KEY, TITLE, error.problem, error.fix), None
        try:
            identity = target.client("sts").get_caller_identity()
        except (BotoCoreError, ClientError) as error:
            return _unreachable(error), None
        return (
            CheckResult.passed(
                KEY,
                TITLE,
                f"{target.description}; account {identity['Account']}",
                account=identity["Account"],
            ),
            target,
        )
    assert source.stack_name is not None
    try:
        identity = make_client("sts", source.region).get_caller_identity()
        cloudformation = make_client("cloudformation", source.region)
        found = discover_stack(source.stack_name, cloudformation)
    except DiscoveryError as error:
        return CheckResult.failed(KEY, TITLE, error.problem, error.fix), None
    except (NoCredentialsError, NoRegionError) as error:
        return CheckResult.failed(KEY, TITLE, str(error), CREDENTIALS_FIX), None
    except (BotoCoreError, ClientError) as error:
        return _unreachable(error), None
    summary = (
        f"account {identity['Account']} as {identity['Arn']}; stack {source.stack_name} "
        f"{found.status} with {found.outputs} outputs in {found.target.region}"
    )
    details = {"account": identity["Account"], "arn": identity["Arn"], "stackStatus": found.status}
    if found.status in UNUSABLE_STACK_STATES:
        return (
            CheckResult.failed(
                KEY,
                TITLE,
                summary,
                f"the stack is {found.status}: see its events in the CloudFormation console, "
                f"then deploy again (cdk deploy {source.stack_name})",
                **details,
            ),
            None,
        )
    return CheckResult.passed(KEY, TITLE, summary, **details), found.target


def _unreachable(error: BaseException) -> CheckResult:
    return CheckResult.failed(KEY, TITLE, describe(error), CREDENTIALS_FIX)
