"""The gapless checker (issue 21): real WebSocket clients drop and reconnect at random while
events are published concurrently through several fan-out containers whose DynamoDB calls are
delayed at random (so an event stamped earlier is often recorded after one stamped later). At the
end every client's invoice store equals the ground truth of its audience, or the client was told
of a gap: nothing lost silently, nothing foreign, no draft to a customer.

A client behaves as the protocol asks (docs/runtime.md "Resume"): its first connection resumes
``since`` the moment its page loaded, every later one ``after`` the newest cursor it saw,
following ``more``; ``truncated`` or an error frame counts as a gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from alexho_invoice_local.aws.clients import client_args
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_local.settings import StackSettings
from alexho_invoice_local.tokens import LocalTokens
from alexho_invoice_publisher import InvoiceEventPublisher
from alexho_invoice_runtime.definitions import (
    ADMIN_AUDIENCE,
    EVENT_LOG_PARTITION_KEY,
    SUBPROTOCOL,
    Env,
)
from tests.local.conftest import wait_until
from tests.local.fault_injection import SwitchableRelay, free_port

#: Most delay a relayed DynamoDB chunk waits (each direction, each chunk).
MAX_CHUNK_DELAY_SECONDS = 0.12
FAN_OUT_CONTAINERS = 3
EVENTS_PER_PUBLISHER = 12
CUSTOMERS = ("cust-a", "cust-b")
#: (name, customer id or None for an admin)
CLIENTS = (("admin", None), ("a-1", "cust-a"), ("a-2", "cust-a"), ("b-1", "cust-b"))
RANDOM = random.Random(21)


class DelayingRelay(SwitchableRelay):
    """A TCP relay to moto that holds every chunk for a random moment: slow, uneven DynamoDB
    calls for the fan-out containers. It names moto's own port in ``Host`` (the local endpoint
    refuses any other; moto does not check signatures)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        super().__init__(upstream_port)

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        own, moto = (f"127.0.0.1:{port}".encode() for port in (self.port, self.upstream_port))
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                time.sleep(RANDOM.uniform(0, MAX_CHUNK_DELAY_SECONDS))
                target.sendall(chunk.replace(b"Host: " + own, b"Host: " + moto, 1))
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture(scope="module")
def relay() -> Iterator[DelayingRelay]:
    moto_port = free_port()
    relay = DelayingRelay(moto_port)
    yield relay
    relay.down()


@pytest.fixture(scope="module")
def stack_settings(relay: DelayingRelay) -> StackSettings:
    return StackSettings(
        websocket_port=0,
        management_port=0,
        moto_port=relay.upstream_port,
        retry_delays_seconds=(0.2, 0.4),
        fanout_concurrency=FAN_OUT_CONTAINERS,
        extra_lambda_env={Env.AWS_ENDPOINT_URL: f"http://127.0.0.1:{relay.port}"},
    )


@dataclass
class CheckedClient:
    """A client that keeps an invoice store and says when it cannot prove continuity."""

    name: str
    customer_id: str | None
    loaded_at_ms: int
    position: str | None = None
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: int = 0
    #: Why continuity could not be proven (a ``truncated`` resume, an error frame, ...).
    gaps: list[str] = field(default_factory=list)

    @property
    def gap(self) -> bool:
        """Whether the client reported a gap (the app would refetch)."""
        return bool(self.gaps)

    def store(self) -> dict[str, int]:
        """Invoice id → the highest version received."""
        latest: dict[str, int] = {}
        for event in self.events.values():
            invoice, version = event["subject"], int(event["data"]["version"])
            latest[invoice] = max(latest.get(invoice, version), version)
        return latest

    def take(self, frame: dict[str, Any]) -> dict[str, Any] | None:
        """Apply one frame; returns the next resume to send, if any."""
        kind = frame.get("type")
        if kind == "event":
            self.events[frame["event"]["id"]] = frame["event"]
            self.position = max(self.position or "", frame["cursor"])
        elif kind == "resume-end":
            self.position = max(self.position or "", frame["cursor"])
            if frame["truncated"]:
                self.gaps.append("resume truncated")
            if frame["more"]:
                return {"action": "resume", "after": self.position}
        elif kind == "error":
            self.gaps.append(f"error frame {frame.get('code')}")
        return None

    def resume_message(self) -> dict[str, Any]:
        if self.position is None:
            return {"action": "resume", "since": self.loaded_at_ms}
        return {"action": "resume", "after": self.position}

    async def session(self, url: str, token: str, seconds: float) -> None:
        """One connection: resume, take frames for ``seconds`` (or until the resume is done,
        when ``seconds`` is 0), then drop."""
        self.sessions += 1
        async with connect(
            url, subprotocols=[Subprotocol(SUBPROTOCOL), Subprotocol(token)], max_size=None
        ) as websocket:
            await websocket.send(json.dumps(self.resume_message()))
            deadline = time.monotonic() + seconds
            resumed = False
            while True:
                wait = deadline - time.monotonic() if seconds else 15.0
                if seconds and wait <= 0:
                    return
                try:
                    raw = await asyncio.wait_for(websocket.recv(), max(wait, 0.01))
                except (TimeoutError, ConnectionClosed):
                    if not seconds and not resumed:
                        self.gaps.append("a resume that never ended")
                    return
                frame = json.loads(raw)
                follow_up = self.take(frame)
                if follow_up is not None:
                    await websocket.send(json.dumps(follow_up))
                elif frame.get("type") == "resume-end":
                    resumed = True
                    if not seconds:
                        return


def publish_all(
    publisher: InvoiceEventPublisher, worker: int, ground_truth: list[dict[str, Any]]
) -> None:
    """Publish this worker's events: invoices created as drafts, then sent or updated."""
    for number in range(EVENTS_PER_PUBLISHER):
        customer = CUSTOMERS[number % len(CUSTOMERS)]
        invoice = f"inv-{worker}-{number % 4}"
        status = "DRAFT" if number < 4 else RANDOM.choice(["SENT", "PAID", "DRAFT"])
        result = publisher.publish(
            "INVOICE_UPDATED", invoice, customer, {"status": status, "version": number}
        )
        ground_truth.append(dict(result.event))
        time.sleep(RANDOM.uniform(0, 0.15))


def expected_for(customer_id: str | None, truth: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The ground truth of an audience: every event for admins; a customer's non-drafts."""
    return {
        event["id"]: event
        for event in truth
        if customer_id is None
        or (event["customerid"] == customer_id and event["data"]["status"] != "DRAFT")
    }


def test_every_client_ends_with_its_audiences_truth_or_reports_a_gap(
    endpoints: StackEndpoints, tokens: LocalTokens, publisher: InvoiceEventPublisher
) -> None:
    # GIVEN clients whose pages loaded now, dropping and reconnecting at random
    loaded_at = int(time.time() * 1000)
    clients = [CheckedClient(name, customer, loaded_at) for name, customer in CLIENTS]
    truth: list[dict[str, Any]] = []
    publishing_done = threading.Event()

    def token_for(client: CheckedClient) -> str:
        if client.customer_id is None:
            return tokens.admin()
        return tokens.customer(client.customer_id, subject=client.name)

    async def churn(client: CheckedClient) -> None:
        while not publishing_done.is_set():
            with contextlib.suppress(OSError, ConnectionClosed, TimeoutError):
                await client.session(
                    endpoints.websocket_url, token_for(client), RANDOM.uniform(0.2, 1.5)
                )
            await asyncio.sleep(RANDOM.uniform(0, 0.6))  # offline for a moment

    async def run_clients() -> None:
        await asyncio.gather(*(churn(client) for client in clients))

    # WHEN two publishers publish concurrently through the fan-out containers meanwhile
    loop_thread = threading.Thread(target=lambda: asyncio.run(run_clients()), daemon=True)
    loop_thread.start()
    with ThreadPoolExecutor(2) as pool:
        for future in [pool.submit(publish_all, publisher, w, truth) for w in range(2)]:
            future.result()
    # ... and every event has been recorded (the admin audience holds them all)
    dynamodb = boto3.client("dynamodb", **client_args(endpoints.aws_endpoint_url, endpoints.region))

    def recorded() -> int:
        count: int = dynamodb.query(
            TableName=endpoints.event_log_table,
            KeyConditionExpression="#pk = :admin",
            ExpressionAttributeNames={"#pk": EVENT_LOG_PARTITION_KEY},
            ExpressionAttributeValues={":admin": {"S": ADMIN_AUDIENCE}},
            Select="COUNT",
            ConsistentRead=True,
        )["Count"]
        return count

    assert wait_until(lambda: recorded() >= len(truth), timeout=40)
    publishing_done.set()
    loop_thread.join(30)

    # ... and each client reconnects once more and resumes
    async def last_sessions() -> None:
        for client in clients:
            await client.session(endpoints.websocket_url, token_for(client), 0)

    asyncio.run(last_sessions())
    # THEN each store equals its audience's truth, or the client reported a gap; nothing here
    # (delays well inside the recording window, no outage) justifies a gap for every client
    assert not all(client.gap for client in clients), [client.gaps for client in clients]
    for client in clients:
        expected = expected_for(client.customer_id, truth)
        foreign = set(client.events) - set(expected)
        assert not foreign, f"{client.name} received events it may not see: {sorted(foreign)}"
        if not client.gap:
            assert set(client.events) == set(expected), f"{client.name} lost events silently"
            reference = CheckedClient("truth", client.customer_id, loaded_at, events=expected)
            assert client.store() == reference.store()
        assert client.sessions >= 2
