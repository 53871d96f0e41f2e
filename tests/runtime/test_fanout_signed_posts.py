"""The fan-out's signed ``@connections`` posts: one outcome per HTTP status, real signatures.

Every post here goes over HTTP to the loopback Management API, which verifies its SigV4
signature as AWS does; nothing between the poster and the socket is replaced.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alexho_invoice_runtime.aws import clients
from alexho_invoice_runtime.aws.connections_api import ConnectionsApi
from alexho_invoice_runtime.fanout.poster import (
    ConnectionPoster,
    Outcome,
    PostResult,
    RetryPolicy,
)
from tests.runtime.fake_management_api import ManagementEndpoint

DATA = b'{"type":"event"}'


class Posting:
    """A :class:`ConnectionPoster` over the container's signed transport, with its pauses and
    removed rows recorded (the pauses are not slept)."""

    def __init__(self, api: ConnectionsApi, max_attempts: int = 5) -> None:
        self.retry = RetryPolicy(max_attempts, base_seconds=0.01, cap_seconds=0.02)
        self.pauses: list[float] = []
        self.removed: list[str] = []
        self.poster = ConnectionPoster(api, self.removed.append, self.retry, self.pauses.append)

    def post(self, connection_id: str) -> PostResult:
        return self.poster.post(connection_id, DATA)


@pytest.fixture
def posting(management_endpoint: ManagementEndpoint) -> Posting:
    """Posting as the fan-out does: the layer's ``@connections`` client, env credentials."""
    return Posting(clients.connections_api())


def test_2xx_is_delivered_to_the_escaped_connection_id(
    posting: Posting, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN a connection id with characters that are special in a URL path
    connection_id = "ab/c+d=?#%"
    # WHEN posting to it
    result = posting.post(connection_id)
    # THEN the signed request reaches exactly that id, first time
    assert result == PostResult(Outcome.DELIVERED, 0)
    assert management_endpoint.posts == [(connection_id, DATA)]


def test_410_is_gone_and_removes_exactly_that_row(
    posting: Posting, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN a connection API Gateway reports gone
    management_endpoint.gone.add("gone-1")
    # WHEN posting to it
    result = posting.post("gone-1")
    # THEN the post is gone, not retried, and only that id is removed
    assert result == PostResult(Outcome.GONE, 0)
    assert posting.removed == ["gone-1"]


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_throttling_and_transient_5xx_are_retried_then_delivered(
    status: int, posting: Posting, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN a connection answered `status` once
    management_endpoint.fail_once["c1"] = status
    # WHEN posting to it
    result = posting.post("c1")
    # THEN it is delivered on the second attempt, after one pause within the first ceiling
    assert result == PostResult(Outcome.DELIVERED, 1)
    assert len(posting.pauses) == 1
    assert 0.0 <= posting.pauses[0] <= posting.retry.base_seconds
    assert management_endpoint.posts == [("c1", DATA)]


def test_a_persistent_5xx_is_retried_with_bounded_jittered_pauses_then_failed(
    management_endpoint: ManagementEndpoint,
) -> None:
    # GIVEN a connection answered 503 on every post, four attempts allowed
    posting = Posting(clients.connections_api(), max_attempts=4)
    management_endpoint.failing["c1"] = 503
    # WHEN posting to it
    result = posting.post("c1")
    # THEN four requests were made, with three pauses each under its doubling ceiling
    assert result == PostResult(Outcome.FAILED, 3, "ServiceUnavailableException")
    assert len(management_endpoint.signed_by) == 4
    ceilings = [min(0.02, 0.01 * 2**n) for n in range(3)]
    assert all(0.0 <= p <= c for p, c in zip(posting.pauses, ceilings, strict=True))


@pytest.mark.parametrize(
    ("status", "code"), [(403, "ForbiddenException"), (400, "BadRequestException")]
)
def test_403_and_other_4xx_fail_at_once_under_their_code(
    status: int, code: str, posting: Posting, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN a connection answered with a client error
    management_endpoint.failing["c1"] = status
    # WHEN posting to it
    result = posting.post("c1")
    # THEN the post failed without a retry, counted under the error code
    assert result == PostResult(Outcome.FAILED, 0, code)
    assert posting.pauses == []


def test_a_rejected_signature_is_a_403_failure(
    management_endpoint: ManagementEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a secret key that is not the one the Management API holds for the access key
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    management_endpoint.secret_keys["testing"] = "testing"
    # WHEN posting with it
    result = Posting(clients.connections_api()).post("c1")
    # THEN the post failed under the API's code and nothing was delivered
    assert result == PostResult(Outcome.FAILED, 0, "InvalidSignatureException")
    assert management_endpoint.posts == []


def test_a_dropped_connection_is_retried_once(
    posting: Posting, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN one connection whose first post gets no answer, another whose first two get none
    management_endpoint.drop.update({"c1": 1, "c2": 2})
    # WHEN posting to both
    first, second = posting.post("c1"), posting.post("c2")
    # THEN the first is delivered on its retry; the second fails after its one retry
    assert first == PostResult(Outcome.DELIVERED, 1)
    assert second.outcome is Outcome.FAILED
    assert second.retries == 1
    assert management_endpoint.posts == [("c1", DATA)]


def test_credentials_renewed_between_posts_sign_the_next_post(
    posting: Posting, management_endpoint: ManagementEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN credentials that are renewed (new key, secret and session token) before each post
    results = []
    for generation in (1, 2):
        key = f"ASIAGENERATION{generation}"
        management_endpoint.secret_keys[key] = f"secret-{key}"
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", f"secret-{key}")
        monkeypatch.setenv("AWS_SESSION_TOKEN", f"token-{key}")
        # WHEN posting
        results.append(posting.post(f"c{generation}"))
    # THEN each post was signed, validly, by the credentials current at its time
    assert [r.outcome for r in results] == [Outcome.DELIVERED, Outcome.DELIVERED]
    assert management_endpoint.signed_by == ["ASIAGENERATION1", "ASIAGENERATION2"]


class _Clock(datetime):
    """``datetime`` whose ``now`` is :attr:`at` (the signer's clock in this test)."""

    at = datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)

    @classmethod
    def now(cls, tz: object = None) -> _Clock:
        return cls.fromtimestamp(cls.at.timestamp(), UTC)


def test_posts_signed_on_different_days_are_each_valid(
    posting: Posting, management_endpoint: ManagementEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a post signed on one day (the signing key is derived once per day)
    monkeypatch.setattr("alexho_invoice_runtime.aws.sigv4.datetime", _Clock)
    before_midnight = posting.post("c1")
    # WHEN the next one is signed a second later, on the next day
    monkeypatch.setattr(_Clock, "at", _Clock.at + timedelta(seconds=1))
    after_midnight = posting.post("c2")
    # THEN the API verified both signatures, each with its own day's key
    assert [before_midnight.outcome, after_midnight.outcome] == [Outcome.DELIVERED] * 2
    assert [cid for cid, _ in management_endpoint.posts] == ["c1", "c2"]
