"""Reading IAM statements out of a synthesized template (test helper)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def all_statements(template: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every identity-policy statement: AWS::IAM::Policy, ManagedPolicy and inline role policies."""
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            yield from properties["PolicyDocument"]["Statement"]
        elif resource["Type"] == "AWS::IAM::Role":
            for policy in properties.get("Policies", []):
                yield from policy["PolicyDocument"]["Statement"]


def role_statements(
    template: Mapping[str, Any], role_ref: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Statements of the policies attached to the role ``role_ref`` (``{"Ref": logicalId}``)."""
    statements: list[dict[str, Any]] = []
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::IAM::Policy" and role_ref in resource["Properties"]["Roles"]:
            statements.extend(resource["Properties"]["PolicyDocument"]["Statement"])
    return statements


def actions_of(statements: list[dict[str, Any]]) -> set[str]:
    """All actions the statements allow."""
    return {
        action
        for statement in statements
        if statement["Effect"] == "Allow"
        for action in _as_list(statement["Action"])
    }


def resources_of(statements: list[dict[str, Any]], action: str) -> list[Any]:
    """Every resource of the statements that allow exactly ``action`` (statements merged by
    ``@aws-cdk/aws-iam:minimizePolicies`` list several)."""
    return [
        resource
        for statement in statements
        if statement["Effect"] == "Allow" and statement["Action"] == action
        for resource in _as_list(statement["Resource"])
    ]
