"""SigV4 verification of a ``@connections`` request with the local stack's credentials.

After :mod:`~alexho_invoice_local.gateway.sigv4_shape` has checked the form of the signature,
the signature itself is recomputed with botocore's signer from the request as it arrived (the
headers the client listed in ``SignedHeaders``, the path, the query string and the body) and
the one secret key the local stack knows: the one ``alexho-local env`` hands out and the
handlers use. API Gateway's answers when it does not match (403):

- another access key: ``UnrecognizedClientException``, "The security token included in the
  request is invalid.";
- the right key, another signature: ``InvalidSignatureException``, "The request signature we
  calculated does not match the signature you provided. …".
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import Final

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

from alexho_invoice_local.gateway.sigv4_shape import SERVICE, SignatureProblem, authorization_parts

UNKNOWN_KEY: Final = SignatureProblem(
    "UnrecognizedClientException", "The security token included in the request is invalid."
)
MISMATCH: Final = SignatureProblem(
    "InvalidSignatureException",
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.",
)


class _ListedHeadersSigner(SigV4Auth):
    """botocore's SigV4 signer, signing exactly the headers the client listed."""

    def __init__(self, credentials: Credentials, region: str, listed: Sequence[str]) -> None:
        super().__init__(credentials, SERVICE, region)
        self._listed = listed

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        headers = HTTPHeaders()
        for name in self._listed:
            headers[name] = request.headers.get(name, "")
        return headers


def verification_problem(
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    region: str,
    access_key: str,
    secret_key: str,
) -> SignatureProblem | None:
    """What is wrong with the signature of a request whose shape passed (``headers`` with
    lower-case names, ``target`` the request target as sent), or ``None`` when it matches."""
    parts = authorization_parts(headers.get("authorization", ""))
    if parts is None:
        return MISMATCH
    if parts.access_key != access_key:
        return UNKNOWN_KEY
    claimed_payload = headers.get("x-amz-content-sha256")
    if claimed_payload is not None and claimed_payload != hashlib.sha256(body).hexdigest():
        return MISMATCH
    request = AWSRequest(
        method=method,
        url=f"http://{headers.get('host', '')}{target}",
        data=body,
        headers={name: headers.get(name, "") for name in parts.signed_headers},
    )
    request.context["timestamp"] = headers.get("x-amz-date", "")
    signer = _ListedHeadersSigner(Credentials(access_key, secret_key), region, parts.signed_headers)
    expected = signer.signature(
        signer.string_to_sign(request, signer.canonical_request(request)), request
    )
    if not hmac.compare_digest(expected, parts.signature):
        return MISMATCH
    return None
