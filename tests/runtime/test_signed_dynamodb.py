"""The DynamoDB reads without boto3 of the authorizer and the fan-out
(``alexho_invoice_runtime.signed_dynamodb``): against moto's server for what DynamoDB answers,
and against a scripted loopback endpoint that verifies SigV4 for the retries."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any

import boto3
import pytest
from botocore.config import Config

from alexho_invoice_runtime import aws_http
from alexho_invoice_runtime.aws_http import SignedEndpoint
from alexho_invoice_runtime.definitions import (
    ADMIN,
    AUDIENCE,
    AUDIENCE_INDEX,
    CONNECTION_ID,
    REVOCATION_KEY,
    REVOKED_AT,
    Env,
)
from alexho_invoice_runtime.revocations import (
    RevocationLookup,
    customer_key,
    revocation_item,
    subject_key,
)
from alexho_invoice_runtime.signed_dynamodb import (
    ENDPOINT_URL_DYNAMODB,
    MAX_ATTEMPTS,
    SIGNING_SERVICE,
    DynamoDbError,
    SignedDynamoDb,
    endpoint_url,
    from_wire,
    session_endpoint_url,
    signed_dynamodb,
    to_wire,
)
from tests.runtime.conftest import CONNECTIONS_TABLE_NAME, REVOCATIONS_TABLE_NAME, AwsTables
from tests.runtime.fake_management_api import signature_error
from tests.runtime.fanout_support import add_connections, admin
from tests.runtime.loopback import LoopbackHTTPServer

#: (status, JSON answer), or raw bytes for an answer that is not JSON.
Answer = tuple[int, dict[str, Any] | bytes]
THROTTLED: Answer = (400, {"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException"})
INTERNAL: Answer = (500, {"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError"})
EMPTY: Answer = (200, {"Responses": {"t": []}})


@dataclass
class ScriptedDynamoDb:
    """Answers each signed request with the next scripted (status, JSON) answer."""

    url: str = ""
    answers: list[Answer] = field(default_factory=list)
    #: ``X-Amz-Target`` of every validly signed request.
    targets: list[str] = field(default_factory=list)
    signed_by: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def secret_for(self, access_key: str) -> str | None:
        """The environment's credentials, the ones the code under test signs with."""
        credentials = aws_http.credentials().get_frozen_credentials()
        return str(credentials.secret_key) if credentials.access_key == access_key else None


@pytest.fixture
def scripted(aws: AwsTables) -> Iterator[ScriptedDynamoDb]:
    fake = ScriptedDynamoDb()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """No access log."""

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            error = signature_error(fake, self, body, service=SIGNING_SERVICE)
            answer: dict[str, Any] | bytes
            if error is not None:
                status, answer = 400, {"__type": f"com.amazon.coral.service#{error}"}
            else:
                with fake.lock:
                    fake.targets.append(self.headers.get("X-Amz-Target", ""))
                    status, answer = fake.answers.pop(0) if fake.answers else EMPTY
            data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = LoopbackHTTPServer(Handler)
    server.start()
    fake.url = server.base_url
    try:
        yield fake
    finally:
        server.stop()


def client_for(url: str, pauses: list[float]) -> SignedDynamoDb:
    endpoint = SignedEndpoint(
        url,
        service=SIGNING_SERVICE,
        credentials=aws_http.credentials(),
        region="eu-west-1",
        pool=aws_http.http_pool(url, 1),
        headers={"Content-Type": "application/x-amz-json-1.0"},
    )
    return SignedDynamoDb(endpoint, sleep=pauses.append)


def get_one(client: SignedDynamoDb) -> dict[str, Any]:
    return client.batch_get_item(RequestItems={"t": {"Keys": [{"k": "v"}]}})


def test_revocations_are_read_from_dynamodb_as_python_values(aws: AwsTables) -> None:
    # GIVEN one revoked customer in the revocations table
    now = int(time.time())
    aws.revocations.put_item(Item=revocation_item(customer_key("cust-42"), now))
    # WHEN the authorizer's lookup reads that customer and a subject with no revocation
    lookup = RevocationLookup(signed_dynamodb(), REVOCATIONS_TABLE_NAME)
    found = lookup.revoked_at([customer_key("cust-42"), subject_key("admin-1")])
    # THEN only the revoked customer is found, with its revocation time
    assert found == {customer_key("cust-42"): now}


def test_items_come_back_with_strings_and_numbers_converted(aws: AwsTables) -> None:
    # GIVEN a revocation row
    aws.revocations.put_item(Item=revocation_item(subject_key("admin-1"), 1_700_000_000))
    # WHEN it is read with BatchGetItem
    answer = signed_dynamodb().batch_get_item(
        RequestItems={REVOCATIONS_TABLE_NAME: {"Keys": [{REVOCATION_KEY: subject_key("admin-1")}]}}
    )
    # THEN its attributes are Python values, as a boto3 resource's client returns them
    [item] = answer["Responses"][REVOCATIONS_TABLE_NAME]
    assert item[REVOCATION_KEY] == subject_key("admin-1")
    assert item[REVOKED_AT] == Decimal(1_700_000_000)
    assert answer["UnprocessedKeys"] == {}


def test_query_pages_match_what_a_boto3_resource_client_reads(aws: AwsTables) -> None:
    # GIVEN five admin connections in the table
    add_connections(aws.connections, (admin(f"admin-{i}") for i in range(5)))
    query: dict[str, Any] = {
        "TableName": CONNECTIONS_TABLE_NAME,
        "IndexName": AUDIENCE_INDEX,
        "KeyConditionExpression": "#audience = :audience",
        "ExpressionAttributeNames": {"#audience": AUDIENCE},
        "ExpressionAttributeValues": {":audience": ADMIN},
        "Limit": 2,
    }
    # WHEN they are read two per page, each page starting after the previous page's last key
    pages: list[tuple[Any, Any]] = []
    boto3_pages: list[tuple[Any, Any]] = []
    for client, collected in (
        (signed_dynamodb(), pages),
        (aws.connections.meta.client, boto3_pages),
    ):
        request = dict(query)
        while True:
            page = client.query(**request)
            collected.append((page["Items"], page.get("LastEvaluatedKey")))
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    # THEN the pages, items and keys are those boto3 reads, in Python values
    assert [len(items) for items, _ in pages] == [2, 2, 1]
    assert pages == boto3_pages


def test_get_item_reads_one_row_or_nothing(aws: AwsTables) -> None:
    # GIVEN one connection row
    [connection_id] = add_connections(aws.connections, [admin("admin-1")])
    client = signed_dynamodb()
    # WHEN it and an id the table does not hold are read
    found = client.get_item(TableName=CONNECTIONS_TABLE_NAME, Key={CONNECTION_ID: connection_id})
    missing = client.get_item(TableName=CONNECTIONS_TABLE_NAME, Key={CONNECTION_ID: "Tm9uZT0="})
    # THEN the row comes back as the table holds it, and the unknown id as no item
    expected = aws.connections.get_item(Key={CONNECTION_ID: connection_id})["Item"]
    assert found == {"Item": expected}
    assert missing == {}


def test_a_missing_table_is_an_error_at_once(aws: AwsTables) -> None:
    # GIVEN a table name that does not exist
    client = signed_dynamodb()
    # WHEN reading from it
    with pytest.raises(DynamoDbError) as raised:
        client.batch_get_item(RequestItems={"no-such-table": {"Keys": [{REVOCATION_KEY: "x"}]}})
    # THEN DynamoDB's error type and status are raised
    assert raised.value.code == "ResourceNotFoundException"
    assert raised.value.status == 400


def test_requests_are_signed_for_dynamodb_with_the_operation_as_target(
    scripted: ScriptedDynamoDb,
) -> None:
    # GIVEN an endpoint that verifies SigV4 for the dynamodb service
    client = client_for(scripted.url, [])
    # WHEN one BatchGetItem is made
    get_one(client)
    # THEN it was validly signed with the environment's credentials, for the right operation
    assert scripted.targets == ["DynamoDB_20120810.BatchGetItem"]
    assert scripted.signed_by == [aws_http.credentials().get_frozen_credentials().access_key]


def test_throttling_and_5xx_are_retried_with_bounded_jitter(scripted: ScriptedDynamoDb) -> None:
    # GIVEN a throttled answer, then an internal error, then the items
    scripted.answers = [THROTTLED, INTERNAL, EMPTY]
    pauses: list[float] = []
    # WHEN reading
    answer = get_one(client_for(scripted.url, pauses))
    # THEN the third attempt answered, after two pauses inside the backoff's bounds
    assert answer == {"Responses": {"t": []}, "UnprocessedKeys": {}}
    assert len(scripted.targets) == 3
    assert len(pauses) == 2
    assert 0 <= pauses[0] <= 0.05
    assert 0 <= pauses[1] <= 0.1


def test_an_answer_that_is_not_json_is_an_error_not_a_crash(scripted: ScriptedDynamoDb) -> None:
    # GIVEN a proxy's HTML page with a 503, then the items; later a 200 that is not JSON
    scripted.answers = [(503, b"<html>unavailable</html>"), EMPTY, (200, b"<html>")]
    client = client_for(scripted.url, [])
    # WHEN reading twice
    first = get_one(client)
    with pytest.raises(DynamoDbError) as raised:
        get_one(client)
    # THEN the 503 was retried like any 5xx, and the unreadable 200 is a clear error
    assert first["Responses"] == {"t": []}
    assert raised.value.code == "MalformedResponse"
    assert raised.value.status == 200


def test_a_call_throttled_every_time_fails_after_its_attempts(
    scripted: ScriptedDynamoDb,
) -> None:
    # GIVEN an endpoint that throttles every request
    scripted.answers = [THROTTLED] * (MAX_ATTEMPTS + 1)
    # WHEN reading
    with pytest.raises(DynamoDbError) as raised:
        get_one(client_for(scripted.url, []))
    # THEN the error names the throttling, after exactly MAX_ATTEMPTS requests
    assert raised.value.code == "ThrottlingException"
    assert len(scripted.targets) == MAX_ATTEMPTS


def test_other_client_errors_are_not_retried(scripted: ScriptedDynamoDb) -> None:
    # GIVEN a validation error
    scripted.answers = [(400, {"__type": "x#ValidationException", "message": "bad key"})]
    pauses: list[float] = []
    # WHEN reading
    with pytest.raises(DynamoDbError, match="bad key") as raised:
        get_one(client_for(scripted.url, pauses))
    # THEN it failed at once
    assert raised.value.code == "ValidationException"
    assert pauses == []


def test_no_answer_at_all_is_retried_then_an_error(aws: AwsTables) -> None:
    # GIVEN an endpoint nobody listens on
    pauses: list[float] = []
    client = client_for("http://127.0.0.1:9", pauses)
    # WHEN reading
    with pytest.raises(DynamoDbError) as raised:
        get_one(client)
    # THEN every attempt was made, and the error names the transport failure with no status
    assert len(pauses) == MAX_ATTEMPTS - 1
    assert raised.value.status == 0


@pytest.mark.parametrize("value", [True, 1.5, b"bytes", None, ["a"]])
def test_only_strings_and_integral_numbers_are_sent(value: object) -> None:
    with pytest.raises(TypeError, match="unsupported attribute value type"):
        to_wire(value)


def test_strings_and_numbers_round_trip() -> None:
    assert [from_wire(to_wire(v)) for v in ("cust-42", 7, Decimal(3))] == [
        "cust-42",
        Decimal(7),
        Decimal(3),
    ]
    with pytest.raises(TypeError, match="unsupported attribute value type: B"):
        from_wire({"B": "AAAA"})


def test_the_endpoint_is_the_configured_one_else_the_regions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ENDPOINT_URL_DYNAMODB, raising=False)
    monkeypatch.delenv(Env.AWS_ENDPOINT_URL, raising=False)
    assert endpoint_url("eu-west-1") == "https://dynamodb.eu-west-1.amazonaws.com"
    assert endpoint_url("cn-north-1") == "https://dynamodb.cn-north-1.amazonaws.com.cn"
    monkeypatch.setenv(Env.AWS_ENDPOINT_URL, "http://127.0.0.1:5000")
    assert endpoint_url("eu-west-1", fips=True) == "http://127.0.0.1:5000"
    monkeypatch.setenv(ENDPOINT_URL_DYNAMODB, "http://127.0.0.1:6000")
    assert endpoint_url("eu-west-1") == "http://127.0.0.1:6000"


class _StoppedBeforeSendingError(Exception):
    """Raised by a ``before-send`` hook with the URL a request was about to go to."""


def boto3_endpoint(region: str, *, fips: bool, dual_stack: bool) -> str:
    """The endpoint a boto3 DynamoDB client sends to (the request is stopped before sending)."""
    config = Config(
        use_fips_endpoint=fips,
        use_dualstack_endpoint=dual_stack,
        account_id_endpoint_mode="disabled",
    )
    client = boto3.client("dynamodb", region_name=region, config=config)

    def stop(request: Any, **_: Any) -> None:
        raise _StoppedBeforeSendingError(request.url)

    client.meta.events.register("before-send.dynamodb", stop)
    with pytest.raises(_StoppedBeforeSendingError) as sent:
        client.describe_limits()
    return str(sent.value).rstrip("/")


@pytest.mark.parametrize(
    ("region", "fips", "dual_stack"),
    [
        ("us-east-1", True, False),
        ("us-east-1", False, True),
        ("us-east-1", True, True),
        ("us-gov-west-1", True, False),
        ("us-gov-west-1", True, True),
        ("cn-northwest-1", False, True),
        ("eusc-de-east-1", False, False),
    ],
)
def test_fips_dual_stack_and_partitions_resolve_as_boto3_does(
    monkeypatch: pytest.MonkeyPatch, region: str, fips: bool, dual_stack: bool
) -> None:
    monkeypatch.delenv(ENDPOINT_URL_DYNAMODB, raising=False)
    monkeypatch.delenv(Env.AWS_ENDPOINT_URL, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    expected = boto3_endpoint(region, fips=fips, dual_stack=dual_stack)
    assert endpoint_url(region, fips=fips, dual_stack=dual_stack) == expected


def test_the_sessions_fips_setting_chooses_the_fips_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a function configured for FIPS endpoints, as boto3 clients read it
    monkeypatch.delenv(ENDPOINT_URL_DYNAMODB, raising=False)
    monkeypatch.delenv(Env.AWS_ENDPOINT_URL, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_USE_FIPS_ENDPOINT", "true")
    aws_http.reset()
    # WHEN the signed reads choose their endpoint
    # THEN it is the FIPS one, as a boto3 client's would be
    assert session_endpoint_url() == "https://dynamodb-fips.us-east-1.amazonaws.com"
    aws_http.reset()
