"""No two construct instances of one app may share a physical name in one account and region.

CloudFormation would only find out at deploy time ("already exists"); this registry finds out at
synth. Each instance registers the physical names of its resources under the app it belongs to,
with the account and region of its stack. An environment-agnostic stack (account or region an
unresolved token) may be deployed anywhere, so it is taken to share its target with any stack.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Final

from aws_cdk import CfnResource, Stack, Token
from constructs import Construct, IConstruct

#: CloudFormation type → attribute (of its L1 class) holding a name unique per account and region.
NAMED_PROPERTIES: Final = {
    "AWS::Lambda::Function": "function_name",
    "AWS::DynamoDB::Table": "table_name",
    "AWS::SNS::Topic": "topic_name",
    "AWS::SQS::Queue": "queue_name",
    "AWS::SecretsManager::Secret": "name",
    "AWS::CloudWatch::Alarm": "alarm_name",
    "AWS::CloudWatch::Dashboard": "dashboard_name",
    "AWS::Logs::LogGroup": "log_group_name",
    "AWS::KMS::Alias": "alias_name",
}


class DuplicatePhysicalNamesError(ValueError):
    """Two instances would create resources with the same names in one account and region."""


@dataclass(frozen=True)
class _Instance:
    path: str
    account: str
    region: str
    names: frozenset[str]

    def may_share_target_with(self, other: _Instance) -> bool:
        return _may_equal(self.account, other.account) and _may_equal(self.region, other.region)


def _may_equal(a: str, b: str) -> bool:
    return a == b or Token.is_unresolved(a) or Token.is_unresolved(b)


_REGISTRIES: Final[weakref.WeakKeyDictionary[IConstruct, list[_Instance]]] = (
    weakref.WeakKeyDictionary()
)


def physical_names(instance: Construct) -> frozenset[str]:
    """The literal physical names of the resources created under ``instance``."""
    names: set[str] = set()
    for child in instance.node.find_all():
        if not isinstance(child, CfnResource) or child.cfn_resource_type not in NAMED_PROPERTIES:
            continue
        name = getattr(child, NAMED_PROPERTIES[child.cfn_resource_type], None)
        if isinstance(name, str) and not Token.is_unresolved(name):
            names.add(name)
    return frozenset(names)


def register(instance: Construct) -> None:
    """Record ``instance``'s physical names in its app; raise
    :class:`DuplicatePhysicalNamesError` naming the clashing names and the fix when an earlier
    instance may be deployed to the same account and region with any of them."""
    stack = Stack.of(instance)
    entry = _Instance(instance.node.path, stack.account, stack.region, physical_names(instance))
    registry = _REGISTRIES.setdefault(instance.node.root, [])
    for earlier in registry:
        clashing = entry.names & earlier.names
        if clashing and entry.may_share_target_with(earlier):
            raise DuplicatePhysicalNamesError(
                f"{entry.path} and {earlier.path} would create resources with the same "
                f"physical names in one account and region: {', '.join(sorted(clashing))}. "
                "CloudFormation fails on the second with 'already exists'. Give each instance "
                "a distinct environment_suffix (or name_prefix)."
            )
    registry.append(entry)
