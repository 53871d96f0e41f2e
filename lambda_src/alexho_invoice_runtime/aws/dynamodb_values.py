"""Python values to and from DynamoDB's typed JSON form (``{"S": ...}``, ``{"N": ...}``, ...).

The mapping is the one boto3's resources use: ``str`` ↔ ``S``, ``int``/``Decimal`` → ``N`` →
``Decimal``, ``bool`` ↔ ``BOOL``, ``None`` ↔ ``NULL``, ``bytes`` ↔ ``B`` (base64 on the wire),
``dict`` ↔ ``M``, ``list`` ↔ ``L``. ``float`` is refused (it is not exact); so is any other type.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

#: A table item (or key) with Python values.
Item = dict[str, Any]
#: A table item (or key) in DynamoDB's wire form.
WireItem = dict[str, dict[str, Any]]


def to_wire(value: object) -> dict[str, Any]:
    """``value`` as a DynamoDB attribute value; raises ``TypeError`` for other types."""
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | Decimal):
        return {"N": str(value)}
    if value is None:
        return {"NULL": True}
    if isinstance(value, bytes):
        return {"B": base64.b64encode(value).decode()}
    if isinstance(value, Mapping):
        return {"M": {str(name): to_wire(inner) for name, inner in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [to_wire(inner) for inner in value]}
    raise TypeError(f"unsupported attribute value type: {type(value).__name__}")


def from_wire(value: Mapping[str, Any]) -> Any:
    """A DynamoDB attribute value as Python; raises ``TypeError`` for an unknown type."""
    if "S" in value:
        return str(value["S"])
    if "N" in value:
        return Decimal(value["N"])
    if "BOOL" in value:
        return bool(value["BOOL"])
    if "NULL" in value:
        return None
    if "B" in value:
        return base64.b64decode(value["B"])
    if "M" in value:
        return {name: from_wire(inner) for name, inner in value["M"].items()}
    if "L" in value:
        return [from_wire(inner) for inner in value["L"]]
    raise TypeError(f"unsupported attribute value type: {', '.join(value) or 'none'}")


def to_wire_item(item: Mapping[str, object]) -> WireItem:
    """Every value of ``item`` as an attribute value (:func:`to_wire`)."""
    return {name: to_wire(value) for name, value in item.items()}


def from_wire_item(item: Mapping[str, Mapping[str, Any]]) -> Item:
    """Every attribute of ``item`` as Python (:func:`from_wire`)."""
    return {name: from_wire(value) for name, value in item.items()}
