"""AWS Signature Version 4 for requests with a body and no query string, in the standard
library (``hmac``, ``hashlib``), as AWS documents the algorithm ("Create a signed AWS API
request", IAM User Guide): canonical request, string to sign, signing key, signature.

The signing key is derived once per secret key, day, region and service and kept (it is what
the algorithm derives four HMACs for), so a request costs two SHA-256 hashes and one HMAC.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Final
from urllib.parse import quote

ALGORITHM: Final = "AWS4-HMAC-SHA256"
_AMZ_DATE_FORMAT: Final = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class Credentials:
    """An access key, its secret and, for temporary credentials, the session token."""

    access_key: str
    secret_key: str = ""
    session_token: str | None = None

    def __repr__(self) -> str:
        return f"Credentials(access_key={self.access_key!r})"  # never the secret


@lru_cache(maxsize=16)
def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    """``kSigning`` of the documented derivation for ``date`` (``YYYYMMDD``)."""
    key = f"AWS4{secret_key}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def canonical_uri(path: str) -> str:
    """The canonical URI of ``path`` as sent (already URI-encoded once): every service but S3
    encodes it a second time."""
    return quote(path or "/", safe="/~")


def sign(
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    credentials: Credentials,
    region: str,
    service: str,
    now: datetime | None = None,
) -> dict[str, str]:
    """The headers that sign the request: ``X-Amz-Date``, ``X-Amz-Security-Token`` (with a
    session token) and ``Authorization``. Every header of ``headers`` is signed; it must hold
    ``Host`` exactly as sent."""
    amz_date = (now or datetime.now(UTC)).strftime(_AMZ_DATE_FORMAT)
    added = {"X-Amz-Date": amz_date}
    if credentials.session_token:
        added["X-Amz-Security-Token"] = credentials.session_token
    canonical = {
        name.lower(): " ".join(value.split()) for name, value in {**headers, **added}.items()
    }
    names = sorted(canonical)
    signed_headers = ";".join(names)
    canonical_request = "\n".join(
        (
            method,
            canonical_uri(path),
            "",
            "".join(f"{name}:{canonical[name]}\n" for name in names),
            signed_headers,
            hashlib.sha256(body).hexdigest(),
        )
    )
    date = amz_date[:8]
    scope = f"{date}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        (ALGORITHM, amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest())
    )
    key = signing_key(credentials.secret_key, date, region, service)
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    added["Authorization"] = (
        f"{ALGORITHM} Credential={credentials.access_key}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
    return added
