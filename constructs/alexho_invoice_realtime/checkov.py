"""checkov skips, recorded in the resource's ``Metadata`` with the reason, like the cdk-nag
acknowledgements of :mod:`.nag`: ``Metadata.checkov.skip: [{id, comment}]``."""

from __future__ import annotations

from typing import Any, Final

from aws_cdk import CfnResource
from constructs import IConstruct

#: The ``Metadata`` key checkov reads its in-template skips from.
METADATA_KEY: Final = "checkov"


def skip_check(construct: IConstruct, check_id: str, comment: str) -> None:
    """Skip checkov's ``check_id`` on ``construct``'s CloudFormation resource only, saying why."""
    target = construct.node.default_child or construct
    if not isinstance(target, CfnResource):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource to skip on")
    entry: dict[str, Any] = dict(target.get_metadata(METADATA_KEY) or {})
    skips = [*entry.get("skip", []), {"id": check_id, "comment": comment}]
    target.add_metadata(METADATA_KEY, {**entry, "skip": skips})
