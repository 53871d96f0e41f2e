"""boto3 clients for the stack's moto endpoint, with fake credentials that never leave loopback."""

from __future__ import annotations

from typing import Final, TypedDict

#: moto accepts any credentials; these keep real ones (if any are configured) out of requests.
FAKE_ACCESS_KEY_ID: Final = "local-access-key"
FAKE_SECRET_ACCESS_KEY: Final = "local-secret-key"  # noqa: S105 - not a secret: moto ignores it


class ClientArgs(TypedDict):
    """Keyword arguments of ``boto3.client`` that point a client at the local stack."""

    endpoint_url: str
    region_name: str
    aws_access_key_id: str
    aws_secret_access_key: str


def client_args(endpoint_url: str, region: str) -> ClientArgs:
    """Arguments for ``boto3.client(service, **client_args(...))`` against moto."""
    return ClientArgs(
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=FAKE_ACCESS_KEY_ID,
        aws_secret_access_key=FAKE_SECRET_ACCESS_KEY,
    )
