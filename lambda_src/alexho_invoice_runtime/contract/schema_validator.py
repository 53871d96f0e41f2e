"""A small validator for the subset of JSON Schema (2020-12) that the envelope schema uses.

The Lambda runtime and the publisher SDK validate against the same schema file without carrying
the ``jsonschema`` package (and its import time) along; the test suite checks that this validator
agrees with ``jsonschema`` on the schema. A keyword outside the subset fails loudly when the
schema is loaded, so the subset cannot silently shrink what the schema says.

Error messages name the failing path and rule but never the offending value, so they are safe to
log for a payload that may hold customer data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

_ANNOTATIONS = frozenset({"$schema", "$id", "title", "description", "format", "$comment"})
_SUPPORTED = _ANNOTATIONS | frozenset(
    {
        "$defs",
        "$ref",
        "type",
        "required",
        "properties",
        "additionalProperties",
        "const",
        "enum",
        "pattern",
        "minLength",
        "maxLength",
        "minimum",
    }
)


class SchemaValidator:
    """Validates JSON values against one schema document using the supported keyword subset."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self._root = schema
        self._patterns: dict[str, re.Pattern[str]] = {}
        self._check_keywords(schema, "#")

    def errors(self, instance: Any) -> list[str]:
        """Return every violation as ``"<path>: <rule>"``; an empty list means valid."""
        return list(self._validate(instance, self._root, "$"))

    def _check_keywords(self, schema: Mapping[str, Any], where: str) -> None:
        unknown = set(schema) - _SUPPORTED
        if unknown:
            raise ValueError(f"schema keyword(s) {sorted(unknown)} at {where} are not supported")
        for name, sub in schema.get("properties", {}).items():
            self._check_keywords(sub, f"{where}/properties/{name}")
        for name, sub in schema.get("$defs", {}).items():
            self._check_keywords(sub, f"{where}/$defs/{name}")
        if "pattern" in schema:
            self._patterns[schema["pattern"]] = _compile_ecma(schema["pattern"])

    def _resolve(self, ref: str) -> Mapping[str, Any]:
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are supported, not {ref!r}")
        node: Any = self._root
        for part in ref[2:].split("/"):
            node = node[part]
        return dict(node)

    def _validate(self, value: Any, schema: Mapping[str, Any], path: str) -> Iterator[str]:
        if "$ref" in schema:
            yield from self._validate(value, self._resolve(schema["$ref"]), path)
        if "const" in schema and not _json_equal(value, schema["const"]):
            yield f"{path}: must be {schema['const']!r}"
        if "enum" in schema and not any(_json_equal(value, v) for v in schema["enum"]):
            yield f"{path}: must be one of {', '.join(map(str, schema['enum']))}"
        expected = schema.get("type")
        if expected is not None and not _is_type(value, expected):
            yield f"{path}: must be of type {expected}"
            return
        if isinstance(value, str):
            yield from self._validate_string(value, schema, path)
        elif isinstance(value, dict):
            yield from self._validate_object(value, schema, path)
        elif _is_type(value, "number") and "minimum" in schema and value < schema["minimum"]:
            yield f"{path}: must be at least {schema['minimum']}"

    def _validate_string(self, value: str, schema: Mapping[str, Any], path: str) -> Iterator[str]:
        if "minLength" in schema and len(value) < schema["minLength"]:
            yield f"{path}: must have at least {schema['minLength']} character(s)"
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            yield f"{path}: must have at most {schema['maxLength']} characters"
        pattern = schema.get("pattern")
        if pattern is not None and not self._patterns[pattern].search(value):
            yield f"{path}: does not match the pattern {pattern}"

    def _validate_object(
        self, value: dict[str, Any], schema: Mapping[str, Any], path: str
    ) -> Iterator[str]:
        for name in schema.get("required", ()):
            if name not in value:
                yield f"{path}.{name}: is required"
        properties: Mapping[str, Any] = schema.get("properties", {})
        for name, item in value.items():
            if name in properties:
                yield from self._validate(item, properties[name], f"{path}.{name}")
            elif schema.get("additionalProperties", True) is False:
                yield f"{path}: unexpected property {name[:64]!r}"


def _compile_ecma(pattern: str) -> re.Pattern[str]:
    """Compile an ECMA-262 pattern: there ``$`` matches only at the very end of the string,
    while Python's ``$`` also matches before a final newline."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _is_type(value: Any, expected: str) -> bool:
    if expected == "object":
        return isinstance(value, dict)
    if expected == "array":
        return isinstance(value, list)
    if expected == "string":
        return isinstance(value, str)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "null":
        return value is None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return expected == "number" or isinstance(value, int) or value.is_integer()


def _json_equal(left: Any, right: Any) -> bool:
    """Equality as JSON sees it: ``True`` is not ``1``."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    return bool(left == right)
