"""Connect tokens for the local stack, minted with the publisher SDK and the stack's secret.

The key is read from the stack's Secrets Manager secret (in moto), exactly as a backend reads
it on AWS; it is never written to the state file or printed.
"""

from __future__ import annotations

from typing import Final

import boto3

from alexho_invoice_local.aws.clients import client_args
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_publisher import ConnectTokenMinter
from alexho_invoice_runtime.definitions import ADMIN, CUSTOMER

#: The longest lifetime the publisher SDK allows (tokens printed by ``up`` stay usable 1 h).
MAX_TTL_SECONDS: Final = 3600
DEFAULT_ADMIN_SUBJECT: Final = "local-admin"


class LocalTokens:
    """Mints admin and customer tokens that the running stack's authorizer accepts."""

    def __init__(self, endpoints: StackEndpoints, ttl_seconds: int = MAX_TTL_SECONDS) -> None:
        secrets = boto3.client(
            "secretsmanager", **client_args(endpoints.aws_endpoint_url, endpoints.region)
        )
        self._minter = ConnectTokenMinter(
            secret_id=endpoints.secret_arn, secrets_client=secrets, ttl_seconds=ttl_seconds
        )

    def admin(self, subject: str = DEFAULT_ADMIN_SUBJECT) -> str:
        """A token of an admin (sees every customer's events)."""
        return self._minter.mint(subject=subject, user_type=ADMIN)

    def customer(self, customer_id: str, subject: str | None = None) -> str:
        """A token of a user of customer ``customer_id``'s portal."""
        return self._minter.mint(
            subject=subject or f"user-of-{customer_id}",
            user_type=CUSTOMER,
            customer_id=customer_id,
        )

    def for_role(self, role: str, customer_id: str | None, subject: str | None = None) -> str:
        """``role`` is ``admin`` or ``customer`` (which needs ``customer_id``)."""
        if role == "admin":
            return self.admin(subject or DEFAULT_ADMIN_SUBJECT)
        if not customer_id:
            raise ValueError("a customer token needs a customer id (--customer-id)")
        return self.customer(customer_id, subject)
