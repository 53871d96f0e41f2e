"""Revoke a customer's or a subject's access: refuse its older tokens, close its connections.

``revoke_customer``/``revoke_subject`` first record the revocation (so the authorizer, ``refresh``
and the fan-out refuse every token of that identity issued at or before this second), then find
the identity's live connections by key (the connections table's ``byAudience`` or ``bySubject``
index, never a Scan), close each one (``DELETE @connections/{id}``) and delete its row.
The backend's role needs the construct's ``grant_revoke``.

Tokens carry whole seconds, so a token minted in the same second as a revocation is refused
too: mint the identity's new tokens after that second.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from alexho_invoice_publisher.errors import (
    InvalidTokenRequestError,
    PublisherConfigurationError,
    RevocationError,
    aws_error_details,
)
from alexho_invoice_publisher.tokens import check_customer_id, check_subject
from alexho_invoice_runtime.contract import audience_for
from alexho_invoice_runtime.definitions import (
    AUDIENCE,
    AUDIENCE_INDEX,
    CONNECTION_ID,
    CUSTOMER,
    SUBJECT,
    SUBJECT_INDEX,
)
from alexho_invoice_runtime.revocations import customer_key, revocation_item, subject_key


@dataclass(frozen=True)
class RevocationResult:
    """What one revocation did."""

    #: The revocation key (``CUSTOMER#<id>`` or ``SUB#<sub>``).
    key: str
    #: Tokens of the identity issued at or before this second (epoch) are refused.
    revoked_at: int
    #: Connections closed now.
    disconnected: int
    #: Connections whose row was found but that API Gateway had already closed.
    already_gone: int


#: How long after the first look for an identity's connections the second one is made (the
#: index lags its table by a moment).
DEFAULT_SETTLE_SECONDS: Final = 1.0


class AccessRevoker:
    """Revokes access through the construct's revocations table, connections table and the
    API's Management API endpoint (``callback_url``, the stack's ``CallbackUrl`` output).

    ``dynamodb_client``/``management_client`` default to boto3 clients in ``region``;
    ``clock`` returns epoch seconds. The identity's connections are looked up twice, the second
    time ``settle_seconds`` after the first: they are found through a global secondary index,
    which lags the table by a moment, and a row written just before the revocation (its
    ``$connect`` re-check read no revocation yet) may not be in the index at the first look.
    """

    def __init__(
        self,
        *,
        revocations_table: str,
        connections_table: str,
        callback_url: str,
        region: str | None = None,
        dynamodb_client: Any = None,
        management_client: Any = None,
        clock: Callable[[], float] = time.time,
        settle_seconds: float = DEFAULT_SETTLE_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        for name, value in (
            ("revocations_table", revocations_table),
            ("connections_table", connections_table),
        ):
            if not isinstance(value, str) or not value.strip():
                raise PublisherConfigurationError(f"{name} must be a table name")
        if not isinstance(callback_url, str) or not callback_url.startswith(
            ("https://", "http://")
        ):
            raise PublisherConfigurationError(
                "callback_url must be the stage's https:// Management API URL"
            )
        self._revocations_table = revocations_table
        self._connections_table = connections_table
        self._dynamodb = dynamodb_client or boto3.client("dynamodb", region_name=region)
        self._management = management_client or boto3.client(
            "apigatewaymanagementapi", endpoint_url=callback_url, region_name=region
        )
        self._clock = clock
        self._settle_seconds = settle_seconds
        self._sleep = sleep

    def revoke_customer(self, customer_id: str) -> RevocationResult:
        """Revoke every user of customer ``customer_id`` and close their connections."""
        try:
            check_customer_id(customer_id)
        except InvalidTokenRequestError as error:
            raise RevocationError("InvalidCustomerId", str(error)) from None
        return self._revoke(
            customer_key(customer_id), AUDIENCE_INDEX, AUDIENCE, audience_for(CUSTOMER, customer_id)
        )

    def revoke_subject(self, subject: str) -> RevocationResult:
        """Revoke subject ``subject`` (admin or customer user) and close its connections."""
        try:
            check_subject(subject)
        except InvalidTokenRequestError as error:
            raise RevocationError("InvalidSubject", str(error)) from None
        return self._revoke(subject_key(subject), SUBJECT_INDEX, SUBJECT, subject)

    def _revoke(self, key: str, index: str, attribute: str, value: str) -> RevocationResult:
        revoked_at = int(self._clock())
        item = revocation_item(key, revoked_at)
        try:
            self._dynamodb.put_item(
                TableName=self._revocations_table,
                Item={name: _attribute(value) for name, value in item.items()},
            )
            disconnected = gone = 0
            closed: set[str] = set()
            for look in range(2):
                if look:
                    self._sleep(self._settle_seconds)
                for connection_id in self._connection_ids(index, attribute, value):
                    if connection_id in closed:
                        continue
                    closed.add(connection_id)
                    try:
                        self._management.delete_connection(ConnectionId=connection_id)
                        disconnected += 1
                    except self._management.exceptions.GoneException:
                        gone += 1
                    self._dynamodb.delete_item(
                        TableName=self._connections_table,
                        Key={CONNECTION_ID: {"S": connection_id}},
                    )
        except (ClientError, BotoCoreError) as error:
            code, _ = aws_error_details(error)
            raise RevocationError(code, f"revoking {key} failed ({code})") from None
        return RevocationResult(key, revoked_at, disconnected, gone)

    def _connection_ids(self, index: str, attribute: str, value: str) -> Iterator[str]:
        paginator = self._dynamodb.get_paginator("query")
        for page in paginator.paginate(
            TableName=self._connections_table,
            IndexName=index,
            KeyConditionExpression="#key = :value",
            ExpressionAttributeNames={"#key": attribute},
            ExpressionAttributeValues={":value": {"S": value}},
        ):
            for found in page.get("Items", []):
                yield found[CONNECTION_ID]["S"]


def _attribute(value: object) -> dict[str, str]:
    if isinstance(value, int):
        return {"N": str(value)}
    return {"S": str(value)}
