"""The local Management API's SigV4 shape check, on requests signed by botocore's signer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from alexho_invoice_local.gateway.sigv4_shape import signature_problem

REGION = "eu-west-1"
URL = "http://127.0.0.1:9001/local/@connections/abc%3D"


def signed_headers(service: str = "execute-api", region: str = REGION) -> dict[str, str]:
    """Lower-cased headers of a POST signed by botocore for ``service`` in ``region``."""
    request = AWSRequest(method="POST", url=URL, data=b"{}")
    SigV4Auth(Credentials("AKIDEXAMPLE", "secret"), service, region).add_auth(request)
    return {name.lower(): value for name, value in request.headers.items()}


def test_a_request_signed_for_execute_api_in_the_region_passes() -> None:
    assert signature_problem(signed_headers(), REGION) is None


@pytest.mark.parametrize(
    ("headers", "error_type"),
    [
        ({}, "MissingAuthenticationTokenException"),
        ({"authorization": "Bearer abc"}, "IncompleteSignatureException"),
        (signed_headers(service="s3"), "InvalidSignatureException"),
        (signed_headers(region="us-east-1"), "InvalidSignatureException"),
        ({**signed_headers(), "x-amz-date": "yesterday"}, "IncompleteSignatureException"),
    ],
    ids=["unsigned", "not-sigv4", "other-service", "other-region", "bad-date"],
)
def test_a_request_of_the_wrong_shape_is_refused(headers: dict[str, str], error_type: str) -> None:
    problem = signature_problem(headers, REGION)
    assert problem is not None
    assert problem.error_type == error_type


def test_a_signature_older_than_15_minutes_has_expired() -> None:
    later = datetime.now(UTC) + timedelta(minutes=16)
    problem = signature_problem(signed_headers(), REGION, now=later)
    assert problem is not None
    assert problem.message == "Signature expired"
