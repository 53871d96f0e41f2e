"""The shape of a SigV4-signed ``@connections`` request, checked as API Gateway checks it.

A client that forgot to sign, signed for another service or region, or signed long ago is
refused with API Gateway's own 403 error types and messages; the signature itself is then
recomputed by :mod:`~alexho_invoice_local.gateway.sigv4_verify`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

#: The SigV4 service name of API Gateway's ``@connections`` API.
SERVICE: Final = "execute-api"
#: How far ``X-Amz-Date`` may be from the server's clock (AWS allows 15 minutes).
MAX_CLOCK_SKEW: Final = timedelta(minutes=15)
_AMZ_DATE_FORMAT: Final = "%Y%m%dT%H%M%SZ"
_AUTHORIZATION: Final = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/,\s]+)/"
    r"(?P<service>[^/,\s]+)/aws4_request,\s*SignedHeaders=(?P<signed>[a-z0-9;-]+),\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})"
)


@dataclass(frozen=True)
class AuthorizationParts:
    """The parts of an ``AWS4-HMAC-SHA256`` ``Authorization`` header."""

    access_key: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def authorization_parts(authorization: str) -> AuthorizationParts | None:
    """The parts of ``authorization``, or ``None`` when it is not of the SigV4 form."""
    match = _AUTHORIZATION.fullmatch(authorization.strip())
    if match is None:
        return None
    return AuthorizationParts(
        access_key=match["key"],
        date=match["date"],
        region=match["region"],
        service=match["service"],
        signed_headers=tuple(match["signed"].split(";")),
        signature=match["signature"],
    )


@dataclass(frozen=True)
class SignatureProblem:
    """Why a request is refused: API Gateway's ``x-amzn-ErrorType`` and message."""

    error_type: str
    message: str


def signature_problem(
    headers: Mapping[str, str], region: str, now: datetime | None = None
) -> SignatureProblem | None:
    """What is wrong with the SigV4 shape of a request (``headers`` lower-cased), or ``None``.

    Checks: an ``Authorization`` header of the ``AWS4-HMAC-SHA256`` form, signing at least
    ``host`` and ``x-amz-date``; a credential scope for ``region`` and ``execute-api`` dated as
    ``X-Amz-Date``; and that date within :data:`MAX_CLOCK_SKEW` of ``now``.
    """
    authorization = headers.get("authorization", "")
    if not authorization:
        return SignatureProblem(
            "MissingAuthenticationTokenException", "Missing Authentication Token"
        )
    match = authorization_parts(authorization)
    if match is None:
        return SignatureProblem(
            "IncompleteSignatureException",
            "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' of the "
            "AWS4-HMAC-SHA256 form",
        )
    if match.service != SERVICE:
        return SignatureProblem(
            "InvalidSignatureException",
            f"Credential should be scoped to correct service: '{SERVICE}'.",
        )
    if match.region != region:
        return SignatureProblem(
            "InvalidSignatureException",
            f"Credential should be scoped to a valid region, not '{match.region}'.",
        )
    if not {"host", "x-amz-date"} <= set(match.signed_headers):
        return SignatureProblem(
            "IncompleteSignatureException", "SignedHeaders must include host and x-amz-date"
        )
    amz_date = headers.get("x-amz-date", "")
    try:
        signed_at = datetime.strptime(amz_date, _AMZ_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return SignatureProblem(
            "IncompleteSignatureException", "X-Amz-Date must be a date such as 20260101T000000Z"
        )
    if match.date != amz_date[:8]:
        return SignatureProblem(
            "InvalidSignatureException", "Credential date does not match X-Amz-Date"
        )
    if abs((now or datetime.now(UTC)) - signed_at) > MAX_CLOCK_SKEW:
        return SignatureProblem("InvalidSignatureException", "Signature expired")
    return None
