"""DynamoDB reads on its JSON API, signed with botocore's SigV4 signer and sent on a urllib3
pool: the authorizer's revocation reads without boto3, and the fan-out's per-event reads
(``Query`` pages of recipients, ``BatchGetItem`` of revocations) without botocore's per-call
machinery.

The authorizer reads revocations on every ``$connect``. A boto3 client would put boto3's import
and DynamoDB's service model on the authorizer's cold start for one small call; the fan-out pays
botocore's validation, serialization and shape-by-shape parsing on every page of recipients
(``benchmarks/fanout_throughput.py`` shows the CPU per post). This module sends the calls as the
JSON protocol defines them (``X-Amz-Target: DynamoDB_20120810.<Operation>``) through
:class:`~alexho_invoice_runtime.aws_http.SignedEndpoint`, and converts the value types these
reads hold (strings and numbers) to and from DynamoDB's typed form, as the client of a boto3
resource does. Throttling, 5xx answers and dropped connections are retried with
jittered backoff, bounded like botocore's ``standard`` mode; other errors raise
:class:`DynamoDbError`. The endpoint is ``AWS_ENDPOINT_URL_DYNAMODB`` or ``AWS_ENDPOINT_URL``
when set (the local stack), else the region's, FIPS and dual-stack settings honoured.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Final

import botocore
from botocore.utils import ensure_boolean

from alexho_invoice_runtime import aws_http
from alexho_invoice_runtime.aws_http import SignedEndpoint, TransportError
from alexho_invoice_runtime.definitions import Env

SIGNING_SERVICE: Final = "dynamodb"
_TARGET_PREFIX: Final = "DynamoDB_20120810."
_HEADERS: Final = {"Content-Type": "application/x-amz-json-1.0"}
#: Attempts per call, the first included (botocore's ``standard`` mode makes 3).
MAX_ATTEMPTS: Final = 3
_BACKOFF_BASE_SECONDS: Final = 0.05
_BACKOFF_CAP_SECONDS: Final = 1.0
#: Error codes answered with 400 that are worth another attempt.
_RETRYABLE_CODES: Final = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
_POOL_CONNECTIONS: Final = 4
#: The service-specific endpoint variable botocore also honours.
ENDPOINT_URL_DYNAMODB: Final = "AWS_ENDPOINT_URL_DYNAMODB"


class DynamoDbError(Exception):
    """DynamoDB refused a call. ``code`` is its error type (``ResourceNotFoundException``...),
    ``status`` the HTTP status (0 when no answer came)."""

    def __init__(self, code: str, status: int, message: str = "") -> None:
        super().__init__(f"{code} ({status}){': ' + message if message else ''}")
        self.code = code
        self.status = status


class SignedDynamoDb:
    """DynamoDB calls on one endpoint. Thread-safe; ``sleep`` is the backoff's pause."""

    def __init__(
        self, endpoint: SignedEndpoint, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._endpoint = endpoint
        self._sleep = sleep

    def call(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """One call of ``operation`` with ``params`` in DynamoDB's wire form; its JSON answer."""
        body = json.dumps(params).encode()
        headers = {"X-Amz-Target": _TARGET_PREFIX + operation}
        for attempt in range(MAX_ATTEMPTS):
            last = attempt == MAX_ATTEMPTS - 1
            try:
                response = self._endpoint.post("/", body, headers)
            except TransportError as error:
                if last:
                    raise DynamoDbError(error.code, 0) from error
            else:
                answer = _json_object(response.data)
                if 200 <= response.status < 300:
                    if answer is None:
                        raise DynamoDbError("MalformedResponse", response.status)
                    return answer
                answer = answer or {}
                code = str(answer.get("__type", "")).rpartition("#")[2] or "UnknownError"
                retryable = response.status >= 500 or code in _RETRYABLE_CODES
                if last or not retryable:
                    message = str(answer.get("message") or answer.get("Message") or "")
                    raise DynamoDbError(code, response.status, message)
            cap = min(_BACKOFF_CAP_SECONDS, _BACKOFF_BASE_SECONDS * 2**attempt)
            self._sleep(random.uniform(0, cap))  # noqa: S311 - jitter, not cryptography
        raise AssertionError("unreachable")  # pragma: no cover

    def batch_get_item(self, *, RequestItems: Mapping[str, Any]) -> dict[str, Any]:  # noqa: N803
        """``BatchGetItem`` with keys and items as Python values (``str``, ``int``,
        ``Decimal``), like the client of a boto3 resource: ``Responses`` and ``UnprocessedKeys``
        come back in the same form."""
        request = {
            table: _request_with_keys(spec, to_wire_item) for table, spec in RequestItems.items()
        }
        answer = self.call("BatchGetItem", {"RequestItems": request})
        responses = {
            table: [from_wire_item(item) for item in items]
            for table, items in answer.get("Responses", {}).items()
        }
        unprocessed = {
            table: _request_with_keys(spec, from_wire_item)
            for table, spec in answer.get("UnprocessedKeys", {}).items()
        }
        return {"Responses": responses, "UnprocessedKeys": unprocessed}

    def query(self, **params: Any) -> dict[str, Any]:
        """``Query`` with ``ExpressionAttributeValues`` and ``ExclusiveStartKey`` as Python
        values; ``Items`` and ``LastEvaluatedKey`` come back in the same form, the counts as
        DynamoDB gives them."""
        request = dict(params)
        for name in ("ExpressionAttributeValues", "ExclusiveStartKey"):
            if name in request:
                request[name] = to_wire_item(request[name])
        answer = self.call("Query", request)
        answer["Items"] = [from_wire_item(item) for item in answer.get("Items", ())]
        if "LastEvaluatedKey" in answer:
            answer["LastEvaluatedKey"] = from_wire_item(answer["LastEvaluatedKey"])
        return answer

    def get_item(self, **params: Any) -> dict[str, Any]:
        """``GetItem`` with ``Key`` as Python values; ``Item`` (when found) in the same form."""
        answer = self.call("GetItem", {**params, "Key": to_wire_item(params["Key"])})
        return {"Item": from_wire_item(answer["Item"])} if "Item" in answer else {}


def _json_object(data: bytes) -> dict[str, Any] | None:
    """``data`` as a JSON object; ``None`` when it is not one (a proxy's HTML page, say)."""
    try:
        parsed = json.loads(data or b"{}")
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _request_with_keys(spec: Mapping[str, Any], convert: Callable[[Any], Any]) -> dict[str, Any]:
    return {**spec, "Keys": [convert(key) for key in spec["Keys"]]}


def to_wire(value: Any) -> dict[str, str]:
    """A ``str`` or a number as a DynamoDB attribute value; other types raise ``TypeError``."""
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return {"N": str(value)}
    raise TypeError(f"unsupported attribute value type: {type(value).__name__}")


def from_wire(value: Mapping[str, Any]) -> str | Decimal:
    """A DynamoDB ``S`` or ``N`` attribute value as Python; other types raise ``TypeError``."""
    if "S" in value:
        return str(value["S"])
    if "N" in value:
        return Decimal(value["N"])
    raise TypeError(f"unsupported attribute value type: {', '.join(value) or 'none'}")


def to_wire_item(item: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Every value of ``item`` as a DynamoDB attribute value (:func:`to_wire`)."""
    return {name: to_wire(value) for name, value in item.items()}


def from_wire_item(item: Mapping[str, Mapping[str, Any]]) -> dict[str, str | Decimal]:
    """Every attribute of ``item`` as Python (:func:`from_wire`)."""
    return {name: from_wire(value) for name, value in item.items()}


def endpoint_url(region: str, *, fips: bool = False, dual_stack: bool = False) -> str:
    """``AWS_ENDPOINT_URL_DYNAMODB``, else ``AWS_ENDPOINT_URL``, else ``region``'s endpoint as
    DynamoDB's endpoint rules give it: the partition's DNS suffix (botocore's
    ``partitions.json``), the FIPS host when ``fips`` (in GovCloud the regional endpoint is the
    FIPS one), the dual-stack suffix when ``dual_stack``."""
    for name in (ENDPOINT_URL_DYNAMODB, Env.AWS_ENDPOINT_URL):
        configured = os.environ.get(name, "").strip()
        if configured:
            return configured
    partition = _partition_of(region)
    suffix = partition["dualStackDnsSuffix"] if dual_stack else partition["dnsSuffix"]
    fips_host = fips and (dual_stack or partition["name"] != "aws-us-gov")
    return f"https://{'dynamodb-fips' if fips_host else 'dynamodb'}.{region}.{suffix}"


def session_endpoint_url() -> str:
    """:func:`endpoint_url` for the botocore session's region and its ``use_fips_endpoint`` and
    ``use_dualstack_endpoint`` settings (``AWS_USE_FIPS_ENDPOINT``,
    ``AWS_USE_DUALSTACK_ENDPOINT`` or the config file), as a boto3 client would use them."""
    session = aws_http.botocore_session()
    return endpoint_url(
        aws_http.region(),
        fips=ensure_boolean(session.get_config_variable("use_fips_endpoint") or False),
        dual_stack=ensure_boolean(session.get_config_variable("use_dualstack_endpoint") or False),
    )


@cache
def _partitions() -> list[dict[str, Any]]:
    with (Path(botocore.__file__).parent / "data" / "partitions.json").open() as file:
        partitions: list[dict[str, Any]] = json.load(file)["partitions"]
    return partitions


def _partition_of(region: str) -> dict[str, Any]:
    """The ``outputs`` of ``region``'s partition: listed there, else matching its pattern, else
    the ``aws`` partition (botocore's own order)."""
    partitions = _partitions()
    for partition in partitions:
        if region in partition["regions"]:
            return dict(partition["outputs"])
    for partition in partitions:
        if re.match(partition["regionRegex"], region):
            return dict(partition["outputs"])
    return dict(partitions[0]["outputs"])


def signed_dynamodb() -> SignedDynamoDb:
    """A client for the session's region and credentials, on the container's pool to its
    endpoint; raises :class:`~alexho_invoice_runtime.aws_http.MissingSettingError` without
    either."""
    region = aws_http.region()
    url = session_endpoint_url()
    endpoint = SignedEndpoint(
        url,
        service=SIGNING_SERVICE,
        credentials=aws_http.credentials(),
        region=region,
        pool=aws_http.http_pool(url, _POOL_CONNECTIONS),
        headers=_HEADERS,
    )
    return SignedDynamoDb(endpoint)
