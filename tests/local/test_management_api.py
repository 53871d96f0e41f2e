"""The Management API (``@connections``) seen through boto3 and through the fan-out's signed
transport, against a real gateway on loopback.

The gateway here has no Lambda routes (every handshake is accepted), so these tests exercise
the HTTP surface alone; the full stack's tests cover the same endpoint behind the handlers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from alexho_invoice_local.aws.clients import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY
from alexho_invoice_local.gateway.apigw_events import ApiGatewayInfo
from alexho_invoice_local.gateway.management_api import ManagementApiServer
from alexho_invoice_local.gateway.server import GatewayLimits, GatewayRoutes, WebSocketGateway
from alexho_invoice_runtime.aws.connections_api import HttpConnectionsApi, PostReply

STAGE = "test"
HOST = "127.0.0.1"
REGION = "eu-west-1"


@dataclass
class Endpoints:
    gateway: WebSocketGateway
    websocket_url: str
    callback_url: str


@asynccontextmanager
async def bare_gateway() -> AsyncIterator[Endpoints]:
    """A gateway without routes (no authorizer, no handlers) and its Management API."""
    with ThreadPoolExecutor(2) as executor:
        gateway = WebSocketGateway(
            ApiGatewayInfo(REGION, "123456789012", "apiid", STAGE),
            GatewayRoutes(authorizer=None, connect=None, disconnect=None, messages={}),
            GatewayLimits(
                max_message_bytes=128 * 1024, idle_timeout_seconds=60, max_connection_seconds=60
            ),
            executor,
        )
        management = ManagementApiServer(gateway, STAGE, 128 * 1024)
        websocket_port = await gateway.start(HOST, 0)
        management_port = await management.start(HOST, 0)
        try:
            yield Endpoints(
                gateway, f"ws://{HOST}:{websocket_port}", f"http://{HOST}:{management_port}/{STAGE}"
            )
        finally:
            await gateway.stop()
            await management.stop()


def management_client(callback_url: str) -> Any:
    """boto3's ``@connections`` client, signing with the local stack's credentials (those
    ``alexho-local env`` hands out), which the Management API verifies."""
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=callback_url,
        region_name=REGION,
        aws_access_key_id=FAKE_ACCESS_KEY_ID,
        aws_secret_access_key=FAKE_SECRET_ACCESS_KEY,
        config=Config(retries={"max_attempts": 1}),
    )


async def only_connection_id(gateway: WebSocketGateway) -> str:
    for _ in range(100):
        if len(gateway.registry) == 1:
            return gateway.registry.all()[0].connection_id
        await asyncio.sleep(0.01)
    raise AssertionError("the connection never registered")


def test_post_to_an_unknown_connection_raises_the_clients_gone_exception() -> None:
    async def scenario() -> None:
        async with bare_gateway() as endpoints:
            client = management_client(endpoints.callback_url)
            # GIVEN a Management API with no open connection
            # WHEN posting to an id nobody holds
            # THEN botocore raises the client's own GoneException class (410)
            with pytest.raises(client.exceptions.GoneException) as raised:
                await asyncio.to_thread(
                    client.post_to_connection, ConnectionId="L0SM9cOFvHcCIhw=", Data=b"{}"
                )
            assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410

    asyncio.run(scenario())


def test_post_delivers_the_body_to_the_websocket_as_a_text_frame() -> None:
    async def scenario() -> None:
        async with bare_gateway() as endpoints, connect(endpoints.websocket_url) as websocket:
            connection_id = await only_connection_id(endpoints.gateway)
            client = management_client(endpoints.callback_url)
            # GIVEN an open connection WHEN the backend posts to its id
            await asyncio.to_thread(
                client.post_to_connection, ConnectionId=connection_id, Data=b'{"n":1}'
            )
            # THEN the client receives exactly that text
            assert await asyncio.wait_for(websocket.recv(), 5) == '{"n":1}'

    asyncio.run(scenario())


def test_get_describes_the_connection_like_api_gateway() -> None:
    async def scenario() -> None:
        async with (
            bare_gateway() as endpoints,
            connect(endpoints.websocket_url, user_agent_header="portal/1.0"),
        ):
            connection_id = await only_connection_id(endpoints.gateway)
            client = management_client(endpoints.callback_url)
            # WHEN the backend asks for the connection
            described = await asyncio.to_thread(client.get_connection, ConnectionId=connection_id)
            # THEN it gets connectedAt, the identity and lastActiveAt, parsed by botocore
            assert described["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "portal/1.0"}
            assert described["LastActiveAt"] >= described["ConnectedAt"]

    asyncio.run(scenario())


def test_delete_closes_the_connection_and_later_posts_are_gone() -> None:
    async def scenario() -> None:
        async with bare_gateway() as endpoints, connect(endpoints.websocket_url) as websocket:
            connection_id = await only_connection_id(endpoints.gateway)
            client = management_client(endpoints.callback_url)
            # WHEN the backend deletes the connection
            await asyncio.to_thread(client.delete_connection, ConnectionId=connection_id)
            # THEN the client sees a normal close
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(websocket.recv(), 5)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1000
            # AND the id is gone for the Management API
            with pytest.raises(client.exceptions.GoneException):
                await asyncio.to_thread(
                    client.post_to_connection, ConnectionId=connection_id, Data=b"late"
                )

    asyncio.run(scenario())


def test_post_over_128_kb_is_refused_as_payload_too_large() -> None:
    async def scenario() -> None:
        async with bare_gateway() as endpoints, connect(endpoints.websocket_url):
            connection_id = await only_connection_id(endpoints.gateway)
            client = management_client(endpoints.callback_url)
            # WHEN the backend posts more than API Gateway's 128 KB message limit
            # THEN it gets PayloadTooLargeException and the connection stays usable
            with pytest.raises(client.exceptions.PayloadTooLargeException):
                await asyncio.to_thread(
                    client.post_to_connection,
                    ConnectionId=connection_id,
                    Data=b"x" * (128 * 1024 + 1),
                )
            assert len(endpoints.gateway.registry) == 1

    asyncio.run(scenario())


def signed_transport(callback_url: str) -> HttpConnectionsApi:
    """The fan-out's ``@connections`` client (the runtime's AWS layer, env credentials)."""
    return HttpConnectionsApi(callback_url)


def raw_post(url: str, headers: dict[str, str]) -> urllib3.BaseHTTPResponse:
    return urllib3.request("POST", url, body=b"{}", headers=headers, retries=False)


def test_post_signed_by_the_fanout_transport_is_accepted_and_delivered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The credentials the stack gives its handlers (functions/environment.py).
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET_ACCESS_KEY)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)

    async def scenario() -> None:
        async with bare_gateway() as endpoints, connect(endpoints.websocket_url) as websocket:
            connection_id = await only_connection_id(endpoints.gateway)
            # WHEN the fan-out's transport posts a SigV4-signed request
            reply = await asyncio.to_thread(
                signed_transport(endpoints.callback_url).post_once, connection_id, b'{"n":2}'
            )
            # THEN the Management API accepts it and the client receives the body
            assert reply == PostReply(200)
            assert await asyncio.wait_for(websocket.recv(), 5) == '{"n":2}'

    asyncio.run(scenario())


def test_unsigned_or_wrongly_scoped_posts_are_refused_with_403() -> None:
    async def scenario() -> None:
        async with bare_gateway() as endpoints, connect(endpoints.websocket_url) as websocket:
            connection_id = await only_connection_id(endpoints.gateway)
            url = f"{endpoints.callback_url}/@connections/{connection_id}"
            credentials = Credentials("AKIDEXAMPLE", "secret")
            signed_for_s3 = AWSRequest(method="POST", url=url, data=b"{}")
            SigV4Auth(credentials, "s3", REGION).add_auth(signed_for_s3)
            # WHEN posting without a signature, and signed for another service
            unsigned = await asyncio.to_thread(raw_post, url, {})
            wrong_service = await asyncio.to_thread(raw_post, url, dict(signed_for_s3.headers))
            # THEN both are refused as API Gateway refuses them, and nothing is delivered
            assert unsigned.status == wrong_service.status == 403
            assert unsigned.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
            assert wrong_service.headers["x-amzn-ErrorType"] == "InvalidSignatureException"
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(websocket.recv(), 0.2)

    asyncio.run(scenario())
