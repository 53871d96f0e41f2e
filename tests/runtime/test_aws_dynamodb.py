"""DynamoDB through the AWS layer (``alexho_invoice_runtime.aws.dynamodb``): against moto's
server for what DynamoDB answers, and against a scripted loopback endpoint that verifies SigV4
for retries, unprocessed items and broken answers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from alexho_invoice_runtime.aws import clients
from alexho_invoice_runtime.aws.dynamodb import BATCH_ROUNDS, UNPROCESSED, DynamoDb, Table
from alexho_invoice_runtime.aws.dynamodb_values import from_wire, to_wire
from alexho_invoice_runtime.aws.errors import NO_ANSWER, AwsError
from alexho_invoice_runtime.aws.retry import DEFAULT_POLICY
from alexho_invoice_runtime.aws.transport import Endpoint
from alexho_invoice_runtime.definitions import (
    AUDIENCE,
    AUDIENCE_INDEX,
    CONNECTION_ID,
    REVOCATION_KEY,
    REVOKED_AT,
)
from tests.runtime.conftest import CONNECTIONS_TABLE_NAME, REVOCATIONS_TABLE_NAME, AwsTables
from tests.runtime.fake_management_api import signature_error
from tests.runtime.loopback import LoopbackHTTPServer

Answer = tuple[int, dict[str, Any] | bytes]
THROTTLED: Answer = (400, {"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException"})
INTERNAL: Answer = (500, {"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError"})


@pytest.fixture
def layer(aws: AwsTables) -> Iterator[AwsTables]:
    """The moto tables, with the layer's clients created afresh for them."""
    clients.reset()
    yield aws
    clients.reset()


def connections() -> Table:
    return clients.table(CONNECTIONS_TABLE_NAME)


def test_put_get_update_and_delete_round_trip_python_values(layer: AwsTables) -> None:
    # GIVEN an item of every value type the layer converts
    item = {
        CONNECTION_ID: "c-1",
        "n": 7,
        "d": Decimal("1.5"),
        "flag": True,
        "none": None,
        "raw": b"\x00\x01",
        "map": {"a": "b", "n": 2},
        "list": ["x", 3],
    }
    # WHEN it is put, read, updated and deleted
    connections().put(item)
    read = connections().get({CONNECTION_ID: "c-1"}, consistent=True)
    connections().update({CONNECTION_ID: "c-1"}, "SET #n = :n", names={"#n": "n"}, values={":n": 8})
    updated = connections().get({CONNECTION_ID: "c-1"}, projection=["n"])
    deleted = connections().delete({CONNECTION_ID: "c-1"})
    # THEN values come back as boto3 resources give them, and the delete returns the old item
    assert read == {**item, "n": Decimal(7), "map": {"a": "b", "n": Decimal(2)}, "list": ["x", 3]}
    assert updated == {"n": Decimal(8)}
    assert deleted is not None
    assert deleted["n"] == Decimal(8)
    assert connections().get({CONNECTION_ID: "c-1"}) is None
    assert connections().delete({CONNECTION_ID: "c-1"}) is None
    # AND moto's own view of the table agrees
    assert "Item" not in layer.connections.get_item(Key={CONNECTION_ID: "c-1"})


def test_a_false_condition_is_an_aws_error_that_says_so(layer: AwsTables) -> None:
    connections().put({CONNECTION_ID: "c-1"})
    with pytest.raises(AwsError) as raised:
        connections().put(
            {CONNECTION_ID: "c-1"},
            condition="attribute_not_exists(#id)",
            names={"#id": CONNECTION_ID},
        )
    assert raised.value.conditional_check_failed
    assert raised.value.status == 400


def test_query_pages_an_index_with_limits_and_start_keys(layer: AwsTables) -> None:
    # GIVEN five rows of one audience and one of another
    for number in range(5):
        connections().put({CONNECTION_ID: f"c-{number}", AUDIENCE: "ADMIN"})
    connections().put({CONNECTION_ID: "other", AUDIENCE: "CUSTOMER#cust-42"})
    # WHEN the audience is queried two items per page
    seen: list[str] = []
    start = None
    pages = 0
    while True:
        page = connections().query(
            "#a = :a",
            names={"#a": AUDIENCE},
            values={":a": "ADMIN"},
            index=AUDIENCE_INDEX,
            projection=[CONNECTION_ID],
            limit=2,
            start_key=start,
        )
        pages += 1
        seen.extend(str(item[CONNECTION_ID]) for item in page.items)
        assert page.scanned_count == len(page.items)
        if page.last_key is None:
            break
        start = page.last_key
    # THEN every row of that audience comes once, and no other
    assert sorted(seen) == [f"c-{number}" for number in range(5)]
    assert pages >= 3


def test_batch_operations_take_any_number_of_items(layer: AwsTables) -> None:
    # GIVEN 130 revocation items written in one call (more than a BatchWriteItem request holds)
    revocations = clients.table(REVOCATIONS_TABLE_NAME)
    revocations.batch_write({REVOCATION_KEY: f"SUB#{n}", REVOKED_AT: n} for n in range(130))
    # WHEN 150 keys are read in one call (more than a BatchGetItem request holds)
    found = revocations.batch_get(
        [{REVOCATION_KEY: f"SUB#{n}"} for n in range(150)],
        consistent=True,
        projection=[REVOCATION_KEY, REVOKED_AT],
    )
    # THEN exactly the 130 written come back
    assert sorted(int(item[REVOKED_AT]) for item in found) == list(range(130))
    # AND deletes in a batch write remove exactly their items
    revocations.batch_write(deletes=[{REVOCATION_KEY: f"SUB#{n}"} for n in range(100)])
    left = revocations.batch_get([{REVOCATION_KEY: f"SUB#{n}"} for n in range(130)])
    assert sorted(int(item[REVOKED_AT]) for item in left) == list(range(100, 130))


def test_a_missing_table_is_an_error_at_once(layer: AwsTables) -> None:
    with pytest.raises(AwsError) as raised:
        clients.table("no-such-table").get({CONNECTION_ID: "c-1"})
    assert raised.value.code == "ResourceNotFoundException"


@pytest.mark.parametrize("value", [1.5, object(), {1, 2}])
def test_inexact_or_unknown_values_are_refused(value: object) -> None:
    with pytest.raises(TypeError, match="unsupported attribute value type"):
        to_wire(value)


def test_an_unknown_wire_type_is_refused() -> None:
    with pytest.raises(TypeError, match="unsupported attribute value type: SS"):
        from_wire({"SS": ["a"]})


@dataclass
class ScriptedDynamoDb:
    """Answers each validly signed request with the next scripted answer."""

    url: str = ""
    answers: list[Answer] = field(default_factory=list)
    #: ``X-Amz-Target`` and JSON body of every validly signed request.
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    signed_by: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def secret_for(self, access_key: str) -> str | None:
        """The environment's secret (what the layer signs with)."""
        import os

        if os.environ.get("AWS_ACCESS_KEY_ID") == access_key:
            return os.environ.get("AWS_SECRET_ACCESS_KEY")
        return None


@pytest.fixture
def scripted() -> Iterator[ScriptedDynamoDb]:
    fake = ScriptedDynamoDb()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """No access log."""

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            error = signature_error(fake, self, body, service="dynamodb")
            answer: dict[str, Any] | bytes
            if error is not None:
                status, answer = 400, {"__type": f"com.amazon.coral.service#{error}"}
            else:
                with fake.lock:
                    fake.requests.append((self.headers.get("X-Amz-Target", ""), json.loads(body)))
                    status, answer = fake.answers.pop(0) if fake.answers else (200, {})
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


def scripted_table(url: str, pauses: list[float]) -> Table:
    endpoint = Endpoint(url, service="dynamodb", region="eu-west-1")
    return DynamoDb(endpoint, sleep=pauses.append).table("t")


def test_requests_are_signed_for_dynamodb_with_the_operation_as_target(
    scripted: ScriptedDynamoDb,
) -> None:
    scripted.answers = [(200, {"Item": {"k": {"S": "v"}}})]
    assert scripted_table(scripted.url, []).get({"k": "v"}) == {"k": "v"}
    assert scripted.requests[0][0] == "DynamoDB_20120810.GetItem"
    assert scripted.requests[0][1]["Key"] == {"k": {"S": "v"}}
    assert len(scripted.signed_by) == 1


def test_throttling_and_5xx_are_retried_with_bounded_jitter(scripted: ScriptedDynamoDb) -> None:
    scripted.answers = [THROTTLED, INTERNAL, (200, {})]
    pauses: list[float] = []
    assert scripted_table(scripted.url, pauses).get({"k": "v"}) is None
    assert len(scripted.requests) == 3
    assert len(pauses) == 2
    assert all(0 <= pause <= DEFAULT_POLICY.cap_seconds for pause in pauses)


def test_a_call_throttled_every_time_fails_after_its_attempts(scripted: ScriptedDynamoDb) -> None:
    scripted.answers = [THROTTLED] * 5
    with pytest.raises(AwsError) as raised:
        scripted_table(scripted.url, []).get({"k": "v"})
    assert raised.value.code == "ThrottlingException"
    assert len(scripted.requests) == DEFAULT_POLICY.max_attempts


def test_other_client_errors_are_not_retried(scripted: ScriptedDynamoDb) -> None:
    scripted.answers = [(400, {"__type": "x#ValidationException", "message": "bad key"})]
    pauses: list[float] = []
    with pytest.raises(AwsError, match="bad key") as raised:
        scripted_table(scripted.url, pauses).get({"k": "v"})
    assert raised.value.code == "ValidationException"
    assert pauses == []


def test_an_answer_that_is_not_json_is_an_error_not_a_crash(scripted: ScriptedDynamoDb) -> None:
    scripted.answers = [(200, b"<html>proxy</html>")]
    with pytest.raises(AwsError) as raised:
        scripted_table(scripted.url, []).get({"k": "v"})
    assert raised.value.code == "MalformedResponse"


def test_unprocessed_keys_are_read_again_after_a_pause(scripted: ScriptedDynamoDb) -> None:
    # GIVEN DynamoDB leaves one of two keys unprocessed the first time
    scripted.answers = [
        (
            200,
            {
                "Responses": {"t": [{"k": {"S": "a"}}]},
                "UnprocessedKeys": {"t": {"Keys": [{"k": {"S": "b"}}]}},
            },
        ),
        (200, {"Responses": {"t": [{"k": {"S": "b"}}]}}),
    ]
    pauses: list[float] = []
    # WHEN both are read
    found = scripted_table(scripted.url, pauses).batch_get([{"k": "a"}, {"k": "b"}])
    # THEN the second request asked only for the left-over key, after one pause
    assert sorted(item["k"] for item in found) == ["a", "b"]
    assert scripted.requests[1][1]["RequestItems"]["t"]["Keys"] == [{"k": {"S": "b"}}]
    assert len(pauses) == 1


def test_items_left_unprocessed_every_round_are_an_error(scripted: ScriptedDynamoDb) -> None:
    left = {"UnprocessedItems": {"t": [{"PutRequest": {"Item": {"k": {"S": "a"}}}}]}}
    scripted.answers = [(200, left)] * BATCH_ROUNDS
    with pytest.raises(AwsError) as raised:
        scripted_table(scripted.url, []).batch_write([{"k": "a"}])
    assert raised.value.code == UNPROCESSED
    assert len(scripted.requests) == BATCH_ROUNDS


def test_no_answer_at_all_is_retried_then_an_error() -> None:
    pauses: list[float] = []
    with pytest.raises(AwsError) as raised:
        scripted_table("http://127.0.0.1:9", pauses).get({"k": "v"})
    assert (raised.value.code, raised.value.status) == (NO_ANSWER, 0)
    assert len(pauses) == DEFAULT_POLICY.max_attempts - 1
