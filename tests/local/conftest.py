"""A local stack per test module, on free loopback ports, plus helpers to use it.

Each module gets its own stack (the handlers read their settings from the process environment,
so one stack runs at a time); a module may override ``stack_settings`` for short timeouts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import boto3
import pytest

from alexho_invoice_local.aws.clients import client_args
from alexho_invoice_local.aws.publishing import local_publisher
from alexho_invoice_local.endpoints import StackEndpoints, remove_state, write_state
from alexho_invoice_local.settings import StackSettings
from alexho_invoice_local.stack import LocalStack
from alexho_invoice_local.tokens import LocalTokens
from alexho_invoice_publisher import InvoiceEventPublisher, PublishResult
from alexho_invoice_runtime.definitions import CONNECTION_ID

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a client-side coroutine to completion (tests are synchronous)."""
    return asyncio.run(coroutine)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` passes; returns its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.fixture(scope="module")
def stack_settings() -> StackSettings:
    """Free ports for everything; quick Lambda retries."""
    return StackSettings(
        websocket_port=0, management_port=0, moto_port=0, retry_delays_seconds=(0.1, 0.2)
    )


@pytest.fixture(scope="module")
def stack(stack_settings: StackSettings) -> Iterator[LocalStack]:
    """A running local stack for the module."""
    with LocalStack(stack_settings) as running:
        yield running


@pytest.fixture(scope="module")
def endpoints(stack: LocalStack) -> StackEndpoints:
    return stack.endpoints


@pytest.fixture(scope="module")
def tokens(endpoints: StackEndpoints) -> LocalTokens:
    return LocalTokens(endpoints, ttl_seconds=600)


@pytest.fixture(scope="module")
def publisher(endpoints: StackEndpoints) -> InvoiceEventPublisher:
    return local_publisher(endpoints, "pytest")


@pytest.fixture(scope="module")
def dynamodb(endpoints: StackEndpoints) -> Any:
    return boto3.client("dynamodb", **client_args(endpoints.aws_endpoint_url, endpoints.region))


@pytest.fixture(scope="module")
def state_file(
    endpoints: StackEndpoints, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """A state file describing the module's stack, as ``alexho-local up`` writes it."""
    path = write_state(endpoints, tmp_path_factory.mktemp("state") / "state.json")
    yield path
    remove_state(endpoints, path)


def connection_ids(dynamodb: Any, endpoints: StackEndpoints) -> set[str]:
    """Ids of every row in the connections table."""
    items = dynamodb.scan(TableName=endpoints.connections_table)["Items"]
    return {item[CONNECTION_ID]["S"] for item in items}


def publish(
    publisher: InvoiceEventPublisher,
    event_type: str,
    customer_id: str,
    status: str,
    invoice_id: str = "inv-1",
) -> PublishResult:
    """Publish one event through the publisher SDK."""
    return publisher.publish(event_type, invoice_id, customer_id, {"status": status})
