"""The local stack of AlexHo Invoice Realtime: the whole system on one machine (loopback only).

``LocalStack`` starts moto (DynamoDB, SNS, SQS, Secrets Manager), a WebSocket gateway that behaves
like API Gateway, the Management API over HTTP and the SNS → fan-out delivery, all running the
deployed Lambda code of ``alexho_invoice_runtime``; ``alexho-local``
(:mod:`alexho_invoice_local.cli.main`) is its command line. See ``docs/local.md``.
"""

from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_local.settings import StackSettings
from alexho_invoice_local.stack import LocalStack

__all__ = ["LocalStack", "StackEndpoints", "StackSettings"]
