"""Two instances that would share physical names in one account and region fail at synth."""

from __future__ import annotations

import pytest
from aws_cdk import App, Environment, Stack

from alexho_invoice_realtime.name_registry import DuplicatePhysicalNamesError

from .conftest import cdk_json_context, realtime

CLASH = r"alexHoWebSocketConnect-test.*distinct environment_suffix"


def test_two_instances_with_the_same_names_in_one_stack_fail(stack: Stack) -> None:
    # GIVEN one instance with the suffix "test"
    realtime(stack, "Blue")
    # WHEN a second one with the same prefix and suffix is added to the same stack
    # THEN synth stops with the clashing names and the fix
    with pytest.raises(DuplicatePhysicalNamesError, match=CLASH) as clash:
        realtime(stack, "Green")
    assert "TestStack/Green and TestStack/Blue" in str(clash.value)


def test_same_names_in_two_environment_agnostic_stacks_fail(tmp_path: str) -> None:
    # GIVEN two stacks without account/region (both may land in the same account and region)
    app = App(context=cdk_json_context(), outdir=str(tmp_path))
    realtime(Stack(app, "One"))
    # WHEN both hold an instance with the same names THEN the second fails at synth
    with pytest.raises(DuplicatePhysicalNamesError, match=CLASH):
        realtime(Stack(app, "Two"))


def test_same_names_in_two_regions_are_allowed(tmp_path: str) -> None:
    # GIVEN two stacks of one app pinned to different regions of one account
    app = App(context=cdk_json_context(), outdir=str(tmp_path))
    for region in ("eu-west-1", "eu-central-1"):
        stack = Stack(app, region, env=Environment(account="123456789012", region=region))
        realtime(stack)
    # WHEN / THEN the same names synthesize side by side (they are regional)
    assert sorted(stack.stack_name for stack in app.synth().stacks) == [
        "eu-central-1",
        "eu-west-1",
    ]
