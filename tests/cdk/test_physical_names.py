"""Two instances that would share physical names in one account and region fail at synth."""

from __future__ import annotations

import pytest
from aws_cdk import App, Environment, Stack

from alexho_invoice_realtime import DuplicatePhysicalNamesError

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


def test_same_names_clash_with_an_environment_agnostic_stack_but_not_across_regions(
    tmp_path: str,
) -> None:
    # GIVEN one app whose instances all use the same names, in stacks pinned to two regions
    app = App(context=cdk_json_context(), outdir=str(tmp_path))
    for region in ("eu-west-1", "eu-central-1"):
        realtime(Stack(app, region, env=Environment(account="123456789012", region=region)))
    # WHEN a third instance goes into a stack without account/region (it may land in either)
    # THEN the two regional ones were accepted, and the third fails at synth
    with pytest.raises(DuplicatePhysicalNamesError, match=CLASH) as clash:
        realtime(Stack(app, "Anywhere"))
    assert str(clash.value).startswith("Anywhere/Realtime and eu-west-1/Realtime ")
