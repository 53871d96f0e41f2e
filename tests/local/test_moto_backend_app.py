"""The stack's moto serves its requests out of Flask's debug mode, which moto turns on: there
Flask makes a class per request, freed only by a full collection."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import boto3
import pytest

from alexho_invoice_local.aws.moto_server import MotoBackend, backend_app


@pytest.fixture
def endpoint_url() -> Iterator[str]:
    backend = MotoBackend("127.0.0.1", 0, in_process=True)
    backend.start()
    try:
        yield backend.endpoint_url
    finally:
        backend.stop()


@pytest.fixture
def cyclic_garbage() -> Iterator[list[object]]:
    """What the collector finds unreachable during the test (kept for inspection)."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield gc.garbage
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def test_a_services_app_is_out_of_debug_mode() -> None:
    assert backend_app("dynamodb").debug is False


def test_requests_leave_no_class_behind_for_the_collector(
    endpoint_url: str, cyclic_garbage: list[object]
) -> None:
    # GIVEN the stack's moto, warmed up by a first request
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=endpoint_url,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    dynamodb.list_tables()
    gc.collect()
    cyclic_garbage.clear()
    # WHEN it serves 20 requests
    for _ in range(20):
        dynamodb.list_tables()
    gc.collect()
    # THEN no class made for a request waits in a reference cycle for a full collection (by
    # the type of each, which never touches the object behind a dead weak proxy)
    assert [item for item in cyclic_garbage if issubclass(type(item), type)] == []
