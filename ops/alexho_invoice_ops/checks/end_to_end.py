"""Check 4, end to end: a probe event published to the topic reaches the check's own
connection, and nobody else's (see :mod:`alexho_invoice_runtime.contract.probe`).

Without permission to publish, the check is skipped, not failed.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from alexho_invoice_ops.aws_errors import describe, is_permission_denied
from alexho_invoice_ops.connection import CheckConnection
from alexho_invoice_ops.identity import CheckIdentity
from alexho_invoice_ops.results import CheckResult
from alexho_invoice_ops.target import CheckTarget
from alexho_invoice_publisher.sns_message import message_attributes, message_body
from alexho_invoice_runtime.contract import PROBE_FRAME_TYPE, build_probe_event
from alexho_invoice_runtime.definitions import (
    AUDIENCE,
    AUDIENCE_INDEX,
    CONNECTED_AT,
    CONNECTION_ID,
)

KEY: Final = "end_to_end"
TITLE: Final = "End to end"
PROBE_SOURCE: Final = "alexho-realtime-check"
#: The audience index is eventually consistent: how long to look for the new connection's row.
FIND_CONNECTION_SECONDS: Final = 5.0
#: Rows of the audience read to tell the check's connection from others of a given token.
MAX_CANDIDATES: Final = 10


class _NotFoundError(Exception):
    pass


async def check_end_to_end(
    target: CheckTarget,
    identity: CheckIdentity,
    connection: CheckConnection | None,
    timeout: float,
) -> CheckResult:
    """Publish a probe addressed to the check's connection and time its arrival."""
    if connection is None:
        return CheckResult.skipped(KEY, TITLE, "needs the check's WebSocket connection (above)")
    audience = identity.audience
    if audience is None or not identity.customer_id:
        return CheckResult.skipped(
            KEY,
            TITLE,
            "the check finds its connection by its audience: pass a CUSTOMER --token of a "
            "customer id no real customer has (claims userType and customerId)",
        )
    try:
        connection_id = await asyncio.to_thread(_own_connection_id, target, audience)
    except _NotFoundError:
        return CheckResult.failed(
            KEY,
            TITLE,
            f"connected, but no row of audience {audience} in {target.connections_table}",
            "the $connect function did not store the connection: see its errors and log",
        )
    except (BotoCoreError, ClientError) as error:
        return CheckResult.failed(
            KEY,
            TITLE,
            f"cannot read {target.connections_table}: {describe(error)}",
            f"allow dynamodb:Query on {target.connections_table}/index/{AUDIENCE_INDEX} and "
            "dynamodb:GetItem on the table to the check's credentials",
        )
    probe = build_probe_event(connection_id, identity.customer_id, source=PROBE_SOURCE)
    published = time.perf_counter()
    try:
        await asyncio.to_thread(_publish, target, probe)
    except (BotoCoreError, ClientError) as error:
        if is_permission_denied(error):
            return CheckResult.skipped(
                KEY,
                TITLE,
                f"no permission to publish to {target.topic_arn} ({describe(error)}); "
                "run the check with a role the construct's grant_publish covers",
            )
        return CheckResult.failed(
            KEY, TITLE, f"publishing the probe failed: {describe(error)}", "see the topic check"
        )

    def is_probe(frame: dict[str, Any]) -> bool:
        event = frame.get("event")
        return isinstance(event, dict) and event.get("id") == probe["id"]

    try:
        frame = await connection.wait_for(is_probe, timeout)
    except (TimeoutError, ConnectionError):
        return CheckResult.failed(
            KEY,
            TITLE,
            f"the probe {probe['id']} did not arrive within {timeout:g} s",
            "the fan-out did not deliver it: see the dead-letter queues and the functions' "
            "errors below (a fan-out older than this version dead-letters probes)",
            eventId=probe["id"],
        )
    latency_ms = (frame.received - published) * 1000
    if frame.body.get("type") != PROBE_FRAME_TYPE:
        return CheckResult.failed(
            KEY,
            TITLE,
            f"the probe arrived as a {frame.body.get('type')!r} frame, not a probe frame",
            "the fan-out does not know probes and may show them to others: deploy this version",
        )
    return CheckResult.passed(
        KEY,
        TITLE,
        f"probe {probe['id']} reached this connection only, {latency_ms:.0f} ms after publishing",
        eventId=probe["id"],
        latencyMs=round(latency_ms, 1),
        connectionId=connection_id,
    )


def _own_connection_id(target: CheckTarget, audience: str) -> str:
    """The id of the newest connection of ``audience`` (the check's own: a minted audience has
    no other)."""
    dynamodb = target.client("dynamodb")
    deadline = time.monotonic() + FIND_CONNECTION_SECONDS
    while True:
        response = dynamodb.query(
            TableName=target.connections_table,
            IndexName=AUDIENCE_INDEX,
            KeyConditionExpression="#audience = :audience",
            ExpressionAttributeNames={"#audience": AUDIENCE},
            ExpressionAttributeValues={":audience": {"S": audience}},
            Limit=MAX_CANDIDATES,
        )
        ids = [str(item[CONNECTION_ID]["S"]) for item in response.get("Items", [])]
        if len(ids) == 1:
            return ids[0]
        if ids:
            return _newest(dynamodb, target.connections_table, ids)
        if time.monotonic() >= deadline:
            raise _NotFoundError
        time.sleep(0.2)


def _newest(dynamodb: Any, table: str, ids: list[str]) -> str:
    opened: list[tuple[int, str]] = []
    for connection_id in ids:
        item = dynamodb.get_item(
            TableName=table, Key={CONNECTION_ID: {"S": connection_id}}, ConsistentRead=True
        ).get("Item")
        if item is not None and CONNECTED_AT in item:
            opened.append((int(item[CONNECTED_AT]["N"]), connection_id))
    if not opened:
        raise _NotFoundError
    return max(opened)[1]


def _publish(target: CheckTarget, probe: Any) -> None:
    target.client("sns").publish(
        TopicArn=target.topic_arn,
        Message=message_body(probe),
        MessageAttributes=message_attributes(probe),
    )
