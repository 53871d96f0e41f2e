"""Who may connect: the REQUEST authorizer and ``$connect`` behind the gateway's handshake."""

from __future__ import annotations

import time
from typing import Any

import boto3
import jwt
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from alexho_invoice_local.aws.clients import client_args
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_local.tokens import LocalTokens
from alexho_invoice_runtime.definitions import SUBPROTOCOL
from tests.local.conftest import connection_ids, run

FORGED_KEY = "not-the-stack-signing-key-but-long-enough-for-hs256"


def refused_status(url: str, subprotocols: list[str] | None = None) -> int:
    """Try a handshake that should be refused; return the HTTP status."""

    async def attempt() -> int:
        offered = [Subprotocol(p) for p in subprotocols] if subprotocols else None
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url, subprotocols=offered):
                pass
        return refused.value.response.status_code

    return run(attempt())


def test_connect_without_a_token_is_refused_with_401_and_writes_no_row(
    endpoints: StackEndpoints, dynamodb: Any
) -> None:
    before = connection_ids(dynamodb, endpoints)
    # WHEN a client connects without any token
    status = refused_status(endpoints.websocket_url, [SUBPROTOCOL])
    # THEN the handshake is answered 401 and no connection row appears
    assert status == 401
    assert connection_ids(dynamodb, endpoints) == before


def test_connect_with_a_forged_signature_is_refused_with_403_and_writes_no_row(
    endpoints: StackEndpoints, dynamodb: Any
) -> None:
    before = connection_ids(dynamodb, endpoints)
    forged = jwt.encode(
        {"sub": "mallory", "userType": "ADMIN", "exp": int(time.time()) + 300},
        FORGED_KEY,
        algorithm="HS256",
    )
    status = refused_status(endpoints.websocket_url, [SUBPROTOCOL, forged])
    assert status == 403
    assert connection_ids(dynamodb, endpoints) == before


def test_connect_with_an_expired_token_is_refused_with_403_and_writes_no_row(
    endpoints: StackEndpoints, dynamodb: Any
) -> None:
    before = connection_ids(dynamodb, endpoints)
    # GIVEN a token signed with the stack's real key that expired two minutes ago
    # (beyond the authorizer's 30 s clock-skew leeway)
    now = int(time.time())
    claims = {"sub": "late-admin", "userType": "ADMIN", "iat": now - 600, "exp": now - 120}
    expired = jwt.encode(claims, signing_key(endpoints), algorithm="HS256")
    status = refused_status(endpoints.websocket_url, [SUBPROTOCOL, expired])
    assert status == 403
    assert connection_ids(dynamodb, endpoints) == before


def test_a_valid_token_as_the_only_subprotocol_is_refused_with_401_and_writes_no_row(
    endpoints: StackEndpoints, tokens: LocalTokens, dynamodb: Any
) -> None:
    before = connection_ids(dynamodb, endpoints)
    # WHEN a client offers a valid token as its only subprotocol (no alexho-invoice.v1, so
    # $connect could echo none and a browser would abort the handshake)
    status = refused_status(endpoints.websocket_url, [tokens.customer("cust-7")])
    # THEN the authorizer refuses it up front, as in AWS: 401 and no row
    assert status == 401
    assert connection_ids(dynamodb, endpoints) == before


def test_a_valid_token_connects_writes_its_row_and_gets_the_subprotocol_echoed(
    endpoints: StackEndpoints, tokens: LocalTokens, dynamodb: Any
) -> None:
    async def scenario() -> tuple[str | None, set[str]]:
        offered = [Subprotocol(SUBPROTOCOL), Subprotocol(tokens.customer("cust-7"))]
        async with connect(endpoints.websocket_url, subprotocols=offered) as websocket:
            return websocket.subprotocol, connection_ids(dynamodb, endpoints)

    before = connection_ids(dynamodb, endpoints)
    subprotocol, during = run(scenario())
    # THEN the server selected alexho-invoice.v1 (never the token) and one row was written
    assert subprotocol == SUBPROTOCOL
    assert len(during - before) == 1


def test_a_token_in_the_query_string_connects_without_a_subprotocol(
    endpoints: StackEndpoints, tokens: LocalTokens
) -> None:
    async def scenario() -> str | None:
        url = f"{endpoints.websocket_url}/?token={tokens.admin()}"
        async with connect(url) as websocket:
            return websocket.subprotocol

    assert run(scenario()) is None


def signing_key(endpoints: StackEndpoints) -> str:
    """The stack's HS256 key, read from its Secrets Manager secret like a backend would."""
    secrets = boto3.client(
        "secretsmanager", **client_args(endpoints.aws_endpoint_url, endpoints.region)
    )
    return str(secrets.get_secret_value(SecretId=endpoints.secret_arn)["SecretString"])
