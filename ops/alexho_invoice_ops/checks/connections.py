"""Check 5, the connections table: its approximate row count and the admin audience's rows."""

from __future__ import annotations

from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from alexho_invoice_ops.aws_errors import describe, error_code
from alexho_invoice_ops.results import CheckResult
from alexho_invoice_ops.target import CheckTarget
from alexho_invoice_runtime.definitions import ADMIN_AUDIENCE, AUDIENCE, AUDIENCE_INDEX

KEY: Final = "connections"
TITLE: Final = "Connections table"


def check_connections(target: CheckTarget) -> CheckResult:
    """``DescribeTable`` (approximate rows, updated by DynamoDB about every 6 hours) and a
    counting ``Query`` of the admin audience on the ``byAudience`` index (never a ``Scan``)."""
    table = target.connections_table
    dynamodb = target.client("dynamodb")
    try:
        description = dynamodb.describe_table(TableName=table)["Table"]
        admins = _count_audience(dynamodb, table, ADMIN_AUDIENCE)
    except (BotoCoreError, ClientError) as error:
        if error_code(error) == "ResourceNotFoundException":
            return CheckResult.failed(
                KEY,
                TITLE,
                f"{table} does not exist",
                "the table was deleted outside CloudFormation: restore it (PITR) or deploy again",
            )
        return CheckResult.failed(
            KEY,
            TITLE,
            f"cannot read {table}: {describe(error)}",
            f"allow dynamodb:DescribeTable and dynamodb:Query on {table} and its index "
            f"{AUDIENCE_INDEX} to the check's credentials",
        )
    status = str(description.get("TableStatus", "UNKNOWN"))
    rows = int(description.get("ItemCount", 0))
    summary = f"{table} {status}: about {rows} rows; {admins} admin connection(s) live"
    if status not in ("ACTIVE", "UPDATING"):
        return CheckResult.failed(
            KEY,
            TITLE,
            summary,
            "wait until the table is ACTIVE; if it stays so, see its events in the console",
        )
    return CheckResult.passed(
        KEY, TITLE, summary, tableStatus=status, approximateRows=rows, adminConnections=admins
    )


def _count_audience(dynamodb: Any, table: str, audience: str) -> int:
    request: dict[str, Any] = {
        "TableName": table,
        "IndexName": AUDIENCE_INDEX,
        "KeyConditionExpression": "#audience = :audience",
        "ExpressionAttributeNames": {"#audience": AUDIENCE},
        "ExpressionAttributeValues": {":audience": {"S": audience}},
        "Select": "COUNT",
    }
    count = 0
    while True:
        page = dynamodb.query(**request)
        count += int(page.get("Count", 0))
        last_key = page.get("LastEvaluatedKey")
        if not last_key:
            return count
        request["ExclusiveStartKey"] = last_key
