"""The local stack of AlexHo Invoice Realtime: the whole system on one machine (loopback only).

``LocalStack`` starts moto (DynamoDB, SNS, SQS, Secrets Manager), a WebSocket gateway that behaves
like API Gateway, the Management API over HTTP and the SNS → fan-out delivery, all running the
deployed Lambda code of ``alexho_invoice_runtime``; ``alexho-local``
(:mod:`alexho_invoice_local.cli.main`) is its command line. See ``docs/local.md``.

``LocalStack`` is imported on first use: it needs the ``[local]`` extra, and without it
``alexho-local`` names the extra instead of failing on import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_local.settings import StackSettings

if TYPE_CHECKING:
    from alexho_invoice_local.stack import LocalStack

__all__ = ["LocalStack", "StackEndpoints", "StackSettings"]


def __getattr__(name: str) -> object:
    if name == "LocalStack":
        from alexho_invoice_local.stack import LocalStack

        return LocalStack
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
