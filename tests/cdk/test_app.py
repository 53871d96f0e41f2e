"""The app as `cdk synth` builds it: every environment, cdk-nag, cfn-lint, snapshots."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk import CfnResource, Validations
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension
from syrupy.matchers import path_type

from stacks import stack_name

from .conftest import ENVIRONMENTS, REPO_ROOT, SynthesizedApp

#: Asset hashes change with every edit of the runtime; everything else must stay put.
MASK_ASSET_HASHES = path_type({r".*\.S3Key$": (str,)}, regex=True)


@pytest.fixture
def snapshot_json(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


def test_every_environment_of_cdk_json_becomes_a_stack(synthesized_app: SynthesizedApp) -> None:
    # GIVEN the environments listed in cdk.json
    # WHEN the app is synthesized (the session fixture)
    names = {stack.stack_name for stack in synthesized_app.assembly.stacks}
    # THEN there is one AlexHoInvoiceRealtime-<env> stack per environment
    assert names == {stack_name(environment) for environment in ENVIRONMENTS}


def test_cdk_nag_reports_no_unacknowledged_finding(synthesized_app: SynthesizedApp) -> None:
    # GIVEN the app with the AWS Solutions checks (synth would raise ValidationFailed)
    report_path = Path(synthesized_app.assembly.directory) / "validation-report.json"
    # WHEN the validation report of the synth is read
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    # THEN no plugin reported a violation
    violations = [
        violation
        for plugin in report.get("pluginReports", [])
        for violation in plugin.get("violations", [])
    ]
    assert violations == []


def test_every_acknowledgement_sits_on_one_resource_with_a_specific_reason(
    synthesized_app: SynthesizedApp,
) -> None:
    # GIVEN every cdk-nag acknowledgement recorded in the construct tree
    acknowledgements = [
        (construct, rule, reason)
        for stack in synthesized_app.stacks.values()
        for construct in stack.node.find_all()
        for entry in construct.node.metadata
        if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY
        for rule, reason in entry.data.items()
    ]
    # THEN each one is on a single CloudFormation resource (never a whole construct or stack),
    # names an AwsSolutions rule, and explains itself
    assert acknowledgements
    for construct, rule, reason in acknowledgements:
        assert isinstance(construct, CfnResource), construct.node.path
        assert rule.startswith("AwsSolutions::AwsSolutions-"), rule
        assert len(reason) >= 80, (rule, reason)


def test_stacks_without_account_and_region_are_environment_agnostic(
    synthesized_app: SynthesizedApp,
) -> None:
    # GIVEN cdk.json sets no account/region for dev
    # WHEN the dev stack is inspected
    environment = synthesized_app.assembly.get_stack_by_name(stack_name("dev")).environment
    # THEN it synthesizes for any account and region (no credentials needed)
    assert (environment.account, environment.region) == ("unknown-account", "unknown-region")


def test_cfn_lint_passes_on_every_template(synthesized_app: SynthesizedApp) -> None:
    # GIVEN every synthesized template
    templates = [str(synthesized_app.template_path(name)) for name in ENVIRONMENTS]
    # WHEN cfn-lint checks them with the repository's settings (.cfnlintrc.yaml)
    result = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), *templates],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    # THEN it finds nothing
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_template_matches_snapshot(
    synthesized_app: SynthesizedApp, snapshot_json: SnapshotAssertion, environment: str
) -> None:
    # GIVEN the approved template of the environment (tests/cdk/__snapshots__)
    # WHEN the environment is synthesized
    template = synthesized_app.template_json[environment]
    # THEN nothing but asset hashes changed
    assert template == snapshot_json(matcher=MASK_ASSET_HASHES)
