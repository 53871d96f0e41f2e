"""checkov (pinned in requirements-checkov.txt, its own .venv-checkov) over every environment's
template: nothing fails, and every skip carries its reason in the resource's Metadata."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest

from .conftest import ENVIRONMENTS, REPO_ROOT, SynthesizedApp

CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"
#: The shortest reason a skip may give (the ids alone say nothing).
MIN_REASON = 60


@pytest.fixture(scope="module")
def checkov_report(synthesized_app: SynthesizedApp) -> dict[str, Any]:
    """One checkov run over both templates of the session's synth (JSON report)."""
    assert CHECKOV.exists(), f"{CHECKOV} is missing: run `make setup`"
    files = [
        arg for name in ENVIRONMENTS for arg in ("-f", str(synthesized_app.template_path(name)))
    ]
    result = subprocess.run(
        [str(CHECKOV), *files, "--framework", "cloudformation", "--skip-download", "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
        # No update check and no download: checkov then never opens a connection.
        env={**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"},
    )
    assert result.returncode in (0, 1), result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_checkov_finds_no_failed_check_in_any_environment(checkov_report: dict[str, Any]) -> None:
    # GIVEN checkov's report over every environment's template
    # WHEN its failures and parsing errors are listed
    failed = [
        (check["check_id"], check["resource"], check["file_path"])
        for check in checkov_report["results"]["failed_checks"]
    ]
    # THEN there are none, and both templates were read
    assert failed == []
    assert checkov_report["summary"]["parsing_errors"] == 0
    assert checkov_report["summary"]["passed"] > 0


def test_every_checkov_skip_says_why(checkov_report: dict[str, Any]) -> None:
    # GIVEN the checks skipped through a resource's Metadata
    skipped = checkov_report["results"]["skipped_checks"]
    # THEN each carries a reason of its own
    assert skipped
    for check in skipped:
        reason = check["check_result"].get("suppress_comment", "")
        assert len(reason) >= MIN_REASON, (check["check_id"], check["resource"], reason)


def test_only_the_checks_that_do_not_apply_are_skipped(checkov_report: dict[str, Any]) -> None:
    # GIVEN the skipped checks
    skipped = {check["check_id"] for check in checkov_report["results"]["skipped_checks"]}
    # THEN they are the VPC, DLQ and reserved-concurrency checks of the functions and PITR where
    # an environment turned it off — never the encryption of environment variables (CKV_AWS_173)
    assert skipped == {"CKV_AWS_117", "CKV_AWS_116", "CKV_AWS_115", "CKV_AWS_28"}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_function_environment_variables_are_encrypted_with_the_data_key(
    synthesized_app: SynthesizedApp, environment: str
) -> None:
    # GIVEN the environment's functions and the construct's key
    stack = synthesized_app.stacks[environment]
    key_arn = stack.resolve(stack.realtime.encryption_key.key_arn)
    # WHEN the KMS key of each function's environment variables is read
    keys = {
        name: function["Properties"].get("KmsKeyArn")
        for name, function in synthesized_app.template_json[environment]["Resources"].items()
        if function["Type"] == "AWS::Lambda::Function"
    }
    # THEN each of the five uses the construct's key (CKV_AWS_173)
    assert len(keys) == 5
    assert set(map(json.dumps, keys.values())) == {json.dumps(key_arn)}


def test_pitr_is_skipped_only_where_the_environment_turned_it_off(
    checkov_report: dict[str, Any],
) -> None:
    # GIVEN dev turns point-in-time recovery off and prod keeps it
    # WHEN the skips of CKV_AWS_28 are located
    files = {
        os.path.basename(check["file_path"])
        for check in checkov_report["results"]["skipped_checks"]
        if check["check_id"] == "CKV_AWS_28"
    }
    # THEN they are all in dev's template
    assert files == {"AlexHoInvoiceRealtime-dev.template.json"}
