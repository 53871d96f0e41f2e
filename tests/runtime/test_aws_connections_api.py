"""``@connections`` through the AWS layer (``alexho_invoice_runtime.aws.connections_api``),
against the SigV4-verifying loopback endpoint."""

from __future__ import annotations

import pytest

from alexho_invoice_runtime.aws.connections_api import HttpConnectionsApi, signing_region
from alexho_invoice_runtime.aws.errors import NO_ANSWER, AwsError
from alexho_invoice_runtime.aws.retry import DEFAULT_POLICY
from tests.runtime.fake_management_api import ManagementEndpoint


def api(endpoint: ManagementEndpoint, pauses: list[float] | None = None) -> HttpConnectionsApi:
    return HttpConnectionsApi(endpoint.url, sleep=(pauses if pauses is not None else []).append)


def test_a_post_reaches_the_escaped_connection_id_signed(
    management_endpoint: ManagementEndpoint,
) -> None:
    reply = api(management_endpoint).post_once("abc/=+ü", b'{"n":1}')
    assert reply.status == 200
    assert management_endpoint.posts == [("abc/=+ü", b'{"n":1}')]
    assert len(management_endpoint.signed_by) == 1


def test_post_once_reports_the_error_type_without_raising(
    management_endpoint: ManagementEndpoint,
) -> None:
    management_endpoint.gone.add("gone-1")
    reply = api(management_endpoint).post_once("gone-1", b"{}")
    assert (reply.status, reply.error_type) == (410, "GoneException")


def test_send_retries_throttling_then_delivers(management_endpoint: ManagementEndpoint) -> None:
    management_endpoint.throttle_once.add("c-1")
    pauses: list[float] = []
    api(management_endpoint, pauses).send("c-1", b"{}")
    assert management_endpoint.throttled == ["c-1"]
    assert management_endpoint.posts == [("c-1", b"{}")]
    assert len(pauses) == 1


def test_send_to_a_gone_connection_raises_gone_at_once(
    management_endpoint: ManagementEndpoint,
) -> None:
    management_endpoint.gone.add("gone-1")
    pauses: list[float] = []
    with pytest.raises(AwsError) as raised:
        api(management_endpoint, pauses).send("gone-1", b"{}")
    assert raised.value.gone
    assert pauses == []


def test_a_persistent_5xx_fails_after_the_policys_attempts(
    management_endpoint: ManagementEndpoint,
) -> None:
    management_endpoint.failing["c-1"] = 503
    pauses: list[float] = []
    with pytest.raises(AwsError) as raised:
        api(management_endpoint, pauses).send("c-1", b"{}")
    assert (raised.value.code, raised.value.status) == ("ServiceUnavailableException", 503)
    assert len(pauses) == DEFAULT_POLICY.max_attempts - 1


def test_close_says_whether_the_connection_was_still_open(
    management_endpoint: ManagementEndpoint,
) -> None:
    management_endpoint.gone.add("gone-1")
    assert api(management_endpoint).close("c-1") is True
    assert api(management_endpoint).close("gone-1") is False
    assert management_endpoint.deleted == ["c-1", "gone-1"]


def test_get_reads_a_connection_or_none_when_gone(management_endpoint: ManagementEndpoint) -> None:
    management_endpoint.gone.add("gone-1")
    state = api(management_endpoint).get("c-1")
    assert state is not None
    assert "connectedAt" in state
    assert api(management_endpoint).get("gone-1") is None


def test_a_wrong_secret_is_refused_by_the_endpoint(
    management_endpoint: ManagementEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    management_endpoint.secret_keys["testing"] = "testing"
    reply = api(management_endpoint).post_once("c-1", b"{}")
    assert (reply.status, reply.error_type) == (403, "InvalidSignatureException")


def test_the_signing_region_is_the_apis_own() -> None:
    url = "https://abc123.execute-api.ap-south-1.amazonaws.com/prod"
    assert signing_region(url) == "ap-south-1"
    assert signing_region("http://127.0.0.1:1/local") == "eu-west-1"


def test_a_post_that_gets_no_answer_is_not_sent_again_by_the_transport(
    management_endpoint: ManagementEndpoint,
) -> None:
    # GIVEN a connection whose post is read by the server and then left unanswered
    management_endpoint.drop["c-1"] = 1
    # WHEN posting once
    with pytest.raises(AwsError) as raised:
        api(management_endpoint).post_once("c-1", b"1")
    # THEN no answer is an error, and the post was not repeated behind the caller's back
    assert (raised.value.code, raised.value.status) == (NO_ANSWER, 0)
    assert management_endpoint.drop == {"c-1": 0}
    assert management_endpoint.posts == []
