"""Identifiers shaped like API Gateway's: ``L0SM9cOFvHcCIhw=`` (11 random bytes, base64)."""

from __future__ import annotations

import base64
import secrets

_ID_BYTES = 11


def new_api_gateway_id() -> str:
    """A connection, request or message id in API Gateway's shape (may hold ``+`` and ``/``)."""
    return base64.b64encode(secrets.token_bytes(_ID_BYTES)).decode("ascii")
