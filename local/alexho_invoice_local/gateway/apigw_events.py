"""Lambda events shaped like API Gateway's for a WebSocket API (proxy integration).

Shapes follow AWS's documented examples: the REQUEST authorizer input for ``$connect``
(``type``, ``methodArn``, headers, query string, ``requestContext``) and the ``CONNECT``,
``MESSAGE`` and ``DISCONNECT`` events a route's Lambda function receives.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from alexho_invoice_local.gateway.ids import new_api_gateway_id

CONNECT_ROUTE = "$connect"
DISCONNECT_ROUTE = "$disconnect"
DEFAULT_ROUTE = "$default"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class ApiGatewayInfo:
    """The API the gateway pretends to be: it appears in ARNs and request contexts."""

    region: str
    account_id: str
    api_id: str
    stage: str

    def method_arn(self, route_key: str) -> str:
        """``arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{routeKey}``."""
        return (
            f"arn:aws:execute-api:{self.region}:{self.account_id}:"
            f"{self.api_id}/{self.stage}/{route_key}"
        )


@dataclass
class ClientConnection:
    """What API Gateway knows about one connection, from its handshake on."""

    connection_id: str
    source_ip: str
    domain_name: str
    user_agent: str | None
    connected_at_ms: int = field(default_factory=lambda: int(time.time() * 1000))
    #: ``requestContext.authorizer``: the authorizer's context plus ``principalId``.
    authorizer: dict[str, Any] | None = None


def request_time(epoch_ms: int) -> str:
    """API Gateway's ``requestTime``: ``13/Dec/2020:10:17:47 +0000`` (locale-independent)."""
    moment = time.gmtime(epoch_ms / 1000)
    month = _MONTHS[moment.tm_mon - 1]
    return f"{moment.tm_mday:02d}/{month}/{time.strftime('%Y:%H:%M:%S', moment)} +0000"


def _identity(connection: ClientConnection) -> dict[str, Any]:
    return {
        "accessKey": None,
        "accountId": None,
        "caller": None,
        "cognitoAuthenticationProvider": None,
        "cognitoAuthenticationType": None,
        "cognitoIdentityId": None,
        "cognitoIdentityPoolId": None,
        "principalOrgId": None,
        "sourceIp": connection.source_ip,
        "user": None,
        "userAgent": connection.user_agent,
        "userArn": None,
    }


def request_context(
    api: ApiGatewayInfo,
    connection: ClientConnection,
    route_key: str,
    event_type: str,
    *,
    include_authorizer: bool = True,
) -> dict[str, Any]:
    """``requestContext`` common to every WebSocket event."""
    now_ms = int(time.time() * 1000)
    request_id = new_api_gateway_id()
    context: dict[str, Any] = {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": request_id,
        "requestTime": request_time(now_ms),
        "messageDirection": "IN",
        "stage": api.stage,
        "connectedAt": connection.connected_at_ms,
        "requestTimeEpoch": now_ms,
        "identity": _identity(connection),
        "requestId": request_id,
        "domainName": connection.domain_name,
        "connectionId": connection.connection_id,
        "apiId": api.api_id,
    }
    if include_authorizer and connection.authorizer is not None:
        context["authorizer"] = dict(connection.authorizer)
    return context


def _header_maps(
    headers: Iterable[tuple[str, str]],
) -> tuple[dict[str, str], dict[str, list[str]]]:
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in headers:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def _handshake_parts(headers: Iterable[tuple[str, str]], path: str) -> dict[str, Any]:
    """Headers and query string of the handshake (query maps only when there is a query)."""
    single, multi = _header_maps(headers)
    parts: dict[str, Any] = {"headers": single, "multiValueHeaders": multi}
    pairs = parse_qsl(urlsplit(path).query, keep_blank_values=True)
    if pairs:
        single_query, multi_query = _header_maps(pairs)
        parts["queryStringParameters"] = single_query
        parts["multiValueQueryStringParameters"] = multi_query
    return parts


def authorizer_request_event(
    api: ApiGatewayInfo,
    connection: ClientConnection,
    headers: Iterable[tuple[str, str]],
    path: str,
) -> dict[str, Any]:
    """Input of a REQUEST authorizer on ``$connect``."""
    return {
        "type": "REQUEST",
        "methodArn": api.method_arn(CONNECT_ROUTE),
        **_handshake_parts(headers, path),
        "stageVariables": {},
        "requestContext": request_context(
            api, connection, CONNECT_ROUTE, "CONNECT", include_authorizer=False
        ),
    }


def connect_event(
    api: ApiGatewayInfo,
    connection: ClientConnection,
    headers: Iterable[tuple[str, str]],
    path: str,
) -> dict[str, Any]:
    """Event of the ``$connect`` route (after the authorizer allowed the connection)."""
    return {
        **_handshake_parts(headers, path),
        "requestContext": request_context(api, connection, CONNECT_ROUTE, "CONNECT"),
        "isBase64Encoded": False,
    }


def message_event(
    api: ApiGatewayInfo,
    connection: ClientConnection,
    route_key: str,
    body: str,
    *,
    is_base64_encoded: bool = False,
) -> dict[str, Any]:
    """Event of a message route (``$default`` or a route selected by ``action``)."""
    context = request_context(api, connection, route_key, "MESSAGE")
    context["messageId"] = new_api_gateway_id()
    return {"requestContext": context, "body": body, "isBase64Encoded": is_base64_encoded}


def disconnect_event(
    api: ApiGatewayInfo,
    connection: ClientConnection,
    status_code: int,
    reason: str,
) -> dict[str, Any]:
    """Event of the ``$disconnect`` route."""
    context = request_context(api, connection, DISCONNECT_ROUTE, "DISCONNECT")
    context["disconnectStatusCode"] = status_code
    context["disconnectReason"] = reason
    headers = {"Host": connection.domain_name, "X-Forwarded-For": connection.source_ip}
    return {
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "requestContext": context,
        "isBase64Encoded": False,
    }
