"""How the gateway turns a REQUEST authorizer's outcome into 401 / 403 / 500 / allow."""

from __future__ import annotations

from typing import Any

from alexho_invoice_local.gateway.authorizer_policy import decision_for_error, decision_for_response

METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:apiid/local/$connect"


def policy(effect: str, resource: str = METHOD_ARN, **context: Any) -> dict[str, Any]:
    return {
        "principalId": "user-1",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
        "context": context,
    }


def test_unauthorized_exception_means_401() -> None:
    # GIVEN an authorizer that raises API Gateway's conventional Exception("Unauthorized")
    # THEN the handshake is answered 401
    assert decision_for_error(Exception("Unauthorized")).status == 401


def test_any_other_authorizer_failure_means_500() -> None:
    assert decision_for_error(RuntimeError("secret unavailable")).status == 500


def test_deny_policy_means_403() -> None:
    decision = decision_for_response(policy("Deny"), METHOD_ARN)
    assert (decision.allowed, decision.status) == (False, 403)


def test_allow_for_another_route_means_403() -> None:
    other = METHOD_ARN.replace("$connect", "$default")
    assert decision_for_response(policy("Allow", other), METHOD_ARN).status == 403


def test_wildcard_allow_covers_the_connect_route() -> None:
    wildcard = "arn:aws:execute-api:eu-west-1:123456789012:apiid/*"
    assert decision_for_response(policy("Allow", wildcard), METHOD_ARN).allowed


def test_allow_passes_context_stringified_with_principal_id() -> None:
    # GIVEN an Allow policy whose context holds a string, a number and a boolean
    decision = decision_for_response(
        policy("Allow", sub="u-1", count=3, admin=True), METHOD_ARN, latency_ms=7
    )
    # THEN later events carry them as strings, plus principalId, as API Gateway does
    assert decision.authorizer == {
        "sub": "u-1",
        "count": "3",
        "admin": "true",
        "principalId": "user-1",
        "integrationLatency": 7,
    }


def test_nested_context_values_are_a_configuration_error() -> None:
    assert decision_for_response(policy("Allow", claims={"a": 1}), METHOD_ARN).status == 500


def test_response_without_policy_document_is_a_configuration_error() -> None:
    assert decision_for_response({"principalId": "x"}, METHOD_ARN).status == 500
