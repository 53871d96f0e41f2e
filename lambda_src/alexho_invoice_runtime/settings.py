"""Settings from environment variables: the one reader of required names and of integers.

A bad value raises at first use with a message naming the variable (the invocation fails; the
log says why). Callers choose the exception class, so that a module's own configuration error
(``AuthConfigError``, ``FanoutSettingError``) is what its handler catches.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Final

#: An optional minus sign and decimal digits: no ``+``, spaces inside or ``_`` separators.
_INTEGER: Final = re.compile(r"-?[0-9]+")


class SettingError(ValueError):
    """An environment variable is missing or holds an unusable value."""


def required(name: str, environ: Mapping[str, str] | None = None) -> str:
    """The non-blank value of ``name``; raises :class:`SettingError` when it is unset."""
    value = (os.environ if environ is None else environ).get(name, "").strip()
    if not value:
        raise SettingError(f"environment variable {name} is not set")
    return value


def integer(
    name: str,
    *,
    default: int,
    low: int,
    high: int,
    environ: Mapping[str, str] | None = None,
    error: type[Exception] = SettingError,
) -> int:
    """The integer in ``name`` (``default`` when unset or blank), which must lie in
    ``[low, high]``; anything else raises ``error`` with a message naming ``name``."""
    text = (os.environ if environ is None else environ).get(name, "").strip()
    if not text:
        return default
    if _INTEGER.fullmatch(text) is None:
        raise error(f"{name} must be a whole number from {low} to {high}, not {text[:32]!r}")
    value = int(text)
    if not low <= value <= high:
        raise error(f"{name} must be a whole number from {low} to {high}, not {value}")
    return value
