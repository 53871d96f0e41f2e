"""AlexHo Invoice Realtime: the ``AlexHoInvoiceRealtime`` CDK construct.

>>> from alexho_invoice_realtime import AlexHoInvoiceRealtime, StorageOptions  # doctest: +SKIP
"""

from alexho_invoice_runtime.definitions import AUTH_MODE_HS256, AUTH_MODE_JWKS, DEFAULT_NAME_PREFIX

from .auth import AuthSettings, ClaimNames
from .construct import AlexHoInvoiceRealtime
from .name_registry import DuplicatePhysicalNamesError
from .naming import BaseNames, PhysicalNames
from .props import (
    DEFAULT_STAGE_NAME,
    DEFAULT_THROTTLE_BURST_LIMIT,
    DEFAULT_THROTTLE_RATE_LIMIT,
    ApiOptions,
    FanOutOptions,
    ObservabilityOptions,
    StorageOptions,
)

__all__ = [
    "AUTH_MODE_HS256",
    "AUTH_MODE_JWKS",
    "DEFAULT_NAME_PREFIX",
    "DEFAULT_STAGE_NAME",
    "DEFAULT_THROTTLE_BURST_LIMIT",
    "DEFAULT_THROTTLE_RATE_LIMIT",
    "AlexHoInvoiceRealtime",
    "ApiOptions",
    "AuthSettings",
    "BaseNames",
    "ClaimNames",
    "DuplicatePhysicalNamesError",
    "FanOutOptions",
    "ObservabilityOptions",
    "PhysicalNames",
    "StorageOptions",
]
