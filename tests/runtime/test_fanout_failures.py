"""Per-connection failures during fan-out: gone, throttled, server errors; none fails the
others."""

from __future__ import annotations

from collections import Counter

import pytest

from alexho_invoice_runtime.definitions import CONNECTION_ID, Env
from tests.runtime.conftest import AwsTables
from tests.runtime.fake_management_api import ManagementEndpoint
from tests.runtime.fanout_support import add_connections, admin, invoice_event, invoke


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep retry pauses short (the policy is the same, its base is 1 ms)."""
    monkeypatch.setenv(Env.FANOUT_BACKOFF_BASE_MS, "1")


def stored_ids(aws: AwsTables) -> set[str]:
    """Connection ids of every row left in the connections table."""
    return {item[CONNECTION_ID] for item in aws.connections.scan()["Items"]}


def test_gone_connections_lose_their_rows_and_nothing_else(
    aws: AwsTables, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN ten admin connections, three of them gone at API Gateway
    ids = add_connections(aws.connections, (admin(f"a{i}") for i in range(10)))
    gone = set(ids[:3])
    management_endpoint.gone.update(gone)
    # WHEN an event is delivered
    totals = invoke(invoice_event())
    # THEN exactly the gone rows are deleted, and the others still get the event
    assert stored_ids(aws) == set(ids) - gone
    assert set(management_endpoint.recipients()) == set(ids) - gone
    assert (totals["gone"], totals["delivered"], totals["failed"]) == (3, 7, 0)


def test_throttled_post_is_retried_and_delivered_once(
    aws: AwsTables, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN three admin connections, one answered 429 LimitExceededException once
    ids = add_connections(aws.connections, (admin(f"a{i}") for i in range(3)))
    management_endpoint.throttle_once.add(ids[0])
    # WHEN an event is delivered
    totals = invoke(invoice_event())
    # THEN the throttled connection gets it exactly once, after one retry
    assert management_endpoint.throttled == [ids[0]]
    assert Counter(cid for cid, _ in management_endpoint.posts) == dict.fromkeys(ids, 1)
    assert (totals["delivered"], totals["retries"], totals["failed"]) == (3, 1, 0)


def test_throttling_beyond_the_attempt_limit_counts_as_failed(
    aws: AwsTables, management_endpoint: ManagementEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN two admin connections, one throttled on every attempt, three attempts allowed
    monkeypatch.setenv(Env.FANOUT_MAX_ATTEMPTS, "3")
    throttled, healthy = add_connections(aws.connections, [admin("a1"), admin("a2")])
    management_endpoint.failing[throttled] = 429
    # WHEN an event is delivered
    totals = invoke(invoice_event())
    # THEN the invocation succeeds: one post failed after two retries, the other delivered
    assert (totals["failed"], totals["retries"], totals["delivered"]) == (1, 2, 1)
    assert management_endpoint.recipients() == [healthy]


def test_transient_server_error_is_retried_and_delivered_once(
    aws: AwsTables, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN three admin connections, one answered 502 once
    ids = add_connections(aws.connections, (admin(f"a{i}") for i in range(3)))
    management_endpoint.fail_once[ids[0]] = 502
    # WHEN an event is delivered
    totals = invoke(invoice_event())
    # THEN that connection still gets it, exactly once, after one retry
    assert Counter(cid for cid, _ in management_endpoint.posts) == dict.fromkeys(ids, 1)
    assert (totals["delivered"], totals["retries"], totals["failed"]) == (3, 1, 0)


def test_server_error_on_every_attempt_is_counted_and_others_delivered(
    aws: AwsTables, management_endpoint: ManagementEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN five admin connections, one answered 500 on every attempt, three attempts allowed
    monkeypatch.setenv(Env.FANOUT_MAX_ATTEMPTS, "3")
    ids = add_connections(aws.connections, (admin(f"a{i}") for i in range(5)))
    management_endpoint.failing[ids[0]] = 500
    # WHEN an event is delivered
    totals = invoke(invoice_event())
    # THEN the invocation succeeds, one post is failed after two retries, the rest delivered,
    # and the failing connection is closed (its client resumes) and its row removed
    assert (totals["failed"], totals["retries"], totals["delivered"]) == (1, 2, 4)
    assert set(management_endpoint.recipients()) == set(ids[1:])
    assert management_endpoint.deleted == [ids[0]]
    assert stored_ids(aws) == set(ids[1:])
