"""The layer's SigV4 signer (``alexho_invoice_runtime.aws.sigv4``): AWS's published test vector,
and the same signature as botocore's ``SigV4Auth`` (the SDK's signer, a dev dependency only)
for any path, headers, body and session token."""

from __future__ import annotations

from datetime import UTC, datetime

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotocoreCredentials
from hypothesis import given, settings
from hypothesis import strategies as st

from alexho_invoice_runtime.aws.sigv4 import Credentials, sign

EXAMPLE = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
AT = datetime(2015, 8, 30, 12, 36, 0, tzinfo=UTC)


def test_the_post_vanilla_vector_of_aws_sigv4_test_suite() -> None:
    # GIVEN the request "post-vanilla" of AWS's SigV4 test suite
    # WHEN it is signed with the suite's example credentials at the suite's time
    headers = sign(
        "POST",
        "/",
        {"Host": "example.amazonaws.com"},
        b"",
        credentials=EXAMPLE,
        region="us-east-1",
        service="service",
        now=AT,
    )
    # THEN the Authorization header is the suite's
    assert headers == {
        "X-Amz-Date": "20150830T123600Z",
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
        "aws4_request, SignedHeaders=host;x-amz-date, "
        "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    }


def _botocore_signature(
    path: str, headers: dict[str, str], body: bytes, credentials: Credentials, amz_date: str
) -> str:
    request = AWSRequest(
        method="POST", url=f"https://example.amazonaws.com{path}", data=body, headers=headers
    )
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(
        BotocoreCredentials(
            credentials.access_key, credentials.secret_key, credentials.session_token
        ),
        "execute-api",
        "eu-west-1",
    )
    return signer.signature(
        signer.string_to_sign(request, signer.canonical_request(request)), request
    )


segment = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="/?#"), min_size=1, max_size=12
)


@settings(max_examples=60, deadline=None)
@given(
    segments=st.lists(segment, min_size=1, max_size=3),
    body=st.binary(max_size=256),
    token=st.none() | st.text(alphabet="abcdefXYZ0123456789+/=", min_size=1, max_size=40),
    target=st.none() | st.sampled_from(["DynamoDB_20120810.Query", "secretsmanager.Get"]),
)
def test_signatures_equal_botocores(
    segments: list[str], body: bytes, token: str | None, target: str | None
) -> None:
    # GIVEN a request with escaped path segments (as an @connections id is sent)
    from urllib.parse import quote

    path = "/" + "/".join(quote(part, safe="") for part in segments)
    headers = {"Host": "example.amazonaws.com", "Content-Type": "application/json"}
    if target:
        headers["X-Amz-Target"] = target
    credentials = Credentials("AKIDEXAMPLE", "secret/key+1", token)
    # WHEN the layer signs it
    added = sign(
        "POST",
        path,
        headers,
        body,
        credentials=credentials,
        region="eu-west-1",
        service="execute-api",
    )
    # THEN botocore computes the same signature over the same signed headers
    signature = added["Authorization"].rpartition("Signature=")[2]
    signed = {**headers, **{k: v for k, v in added.items() if k != "Authorization"}}
    assert signature == _botocore_signature(path, signed, body, credentials, added["X-Amz-Date"])


def test_the_secret_key_never_shows_in_a_repr() -> None:
    assert "EXAMPLEKEY" not in repr(EXAMPLE)
