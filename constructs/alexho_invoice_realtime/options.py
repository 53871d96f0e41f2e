"""Checks and merges for ``existing_<resource>`` / ``<resource>_props`` pairs.

In the style of AWS Solutions Constructs: a caller either brings an existing resource or passes
keyword overrides that are merged over the construct's secure defaults, never both.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any


def check_exclusive(existing_name: str, existing: object, props_name: str, props: object) -> None:
    """Raise ``ValueError`` when both an existing resource and props for a new one are given."""
    if existing is not None and props is not None:
        raise ValueError(
            f"pass either {existing_name} (use that resource) or {props_name} "
            "(create one with these overrides), not both"
        )


def merge_overrides(
    props_name: str,
    defaults: Mapping[str, Any],
    overrides: Mapping[str, Any] | None,
    *,
    fixed: Collection[str] = (),
) -> dict[str, Any]:
    """``defaults`` with ``overrides`` on top; keys in ``fixed`` belong to the runtime contract
    (table keys, for instance) and cannot be overridden."""
    overrides = dict(overrides or {})
    refused = sorted(set(overrides) & set(fixed))
    if refused:
        raise ValueError(
            f"{props_name} cannot override {', '.join(refused)}: the Lambda runtime depends on "
            "these values (see lambda_src/alexho_invoice_runtime/definitions.py)"
        )
    return {**defaults, **overrides}
