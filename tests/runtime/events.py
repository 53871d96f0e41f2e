"""AWS-shaped Lambda events for the WebSocket API and SNS, built like the documented examples.

Shapes follow the API Gateway developer guide (REQUEST authorizer input for WebSocket APIs,
``$connect``/``$disconnect``/message integration events) and the Lambda guide (SNS event).
Other test suites (local stack, publisher round trip) import these builders.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from alexho_invoice_runtime.definitions import SUBPROTOCOL, TOKEN_QUERY_PARAMETER

REGION = "eu-west-1"
ACCOUNT_ID = "123456789012"
API_ID = "abcdef123"
STAGE = "test"
DOMAIN_NAME = f"{API_ID}.execute-api.{REGION}.amazonaws.com"
CONNECT_METHOD_ARN = f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{API_ID}/{STAGE}/$connect"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:alexHoInvoiceEvents"


def new_connection_id() -> str:
    """A connection id shaped like API Gateway's (12 base64 characters ending in ``=``)."""
    return base64.b64encode(uuid.uuid4().bytes[:8]).decode()[:11] + "="


def _request_context(
    route_key: str, event_type: str, connection_id: str, **extra: Any
) -> dict[str, Any]:
    now_ms = int(time.time() * 1000)
    context: dict[str, Any] = {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": uuid.uuid4().hex[:16] + "=",
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now_ms / 1000)),
        "messageDirection": "IN",
        "stage": STAGE,
        "connectedAt": now_ms,
        "requestTimeEpoch": now_ms,
        "identity": {"sourceIp": "192.0.2.10", "userAgent": "pytest"},
        "requestId": uuid.uuid4().hex[:16] + "=",
        "domainName": DOMAIN_NAME,
        "connectionId": connection_id,
        "apiId": API_ID,
    }
    context.update(extra)
    return context


def _handshake_headers(protocol_header: str | None, header_name: str) -> dict[str, str]:
    headers = {
        "Host": DOMAIN_NAME,
        "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits",
        "Sec-WebSocket-Key": base64.b64encode(uuid.uuid4().bytes).decode(),
        "Sec-WebSocket-Version": "13",
        "X-Amzn-Trace-Id": f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]}",
        "X-Forwarded-For": "192.0.2.10",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    }
    if protocol_header is not None:
        headers[header_name] = protocol_header
    return headers


def browser_protocol_header(token: str) -> str:
    """``Sec-WebSocket-Protocol`` as a browser sends it: the subprotocol, then the token."""
    return f"{SUBPROTOCOL}, {token}"


def authorizer_event(
    *,
    protocol_header: str | None = None,
    query: Mapping[str, str] | None = None,
    header_name: str = "Sec-WebSocket-Protocol",
    connection_id: str | None = None,
    multi_value_protocol: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Input of a REQUEST authorizer on ``$connect``.

    ``protocol_header`` is the ``Sec-WebSocket-Protocol`` value (see
    :func:`browser_protocol_header`); ``query`` the query string parameters (e.g. ``token``);
    ``multi_value_protocol`` sends the header several times (``multiValueHeaders`` holds each).
    """
    headers = _handshake_headers(protocol_header, header_name)
    multi_headers = {name: [value] for name, value in headers.items()}
    if multi_value_protocol is not None:
        multi_headers[header_name] = list(multi_value_protocol)
        headers[header_name] = multi_value_protocol[-1]
    event: dict[str, Any] = {
        "type": "REQUEST",
        "methodArn": CONNECT_METHOD_ARN,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "stageVariables": {},
        "requestContext": _request_context(
            "$connect", "CONNECT", connection_id or new_connection_id()
        ),
    }
    if query:
        event["queryStringParameters"] = dict(query)
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    return event


def token_times(lifetime: int = 600, issued_at: int | None = None) -> dict[str, str]:
    """The token times an authorizer context carries (API Gateway hands numbers on as strings)."""
    iat = int(time.time()) if issued_at is None else issued_at
    return {"tokenIssuedAt": str(iat), "tokenExpiresAt": str(iat + lifetime)}


def token_query(token: str) -> dict[str, str]:
    """Query string parameters carrying ``token``."""
    return {TOKEN_QUERY_PARAMETER: token}


def authorizer_context_from(response: Mapping[str, Any]) -> dict[str, Any]:
    """What API Gateway passes on as ``requestContext.authorizer`` after an Allow: the
    authorizer's context values plus ``principalId`` (and an ``integrationLatency``)."""
    return {
        **dict(response.get("context", {})),
        "principalId": response["principalId"],
        "integrationLatency": 12,
    }


def connect_event(
    connection_id: str,
    authorizer: Mapping[str, Any] | None,
    *,
    protocol_header: str | None = None,
    query: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The ``$connect`` integration event; ``authorizer`` is ``requestContext.authorizer``."""
    headers = _handshake_headers(protocol_header, "Sec-WebSocket-Protocol")
    extra: dict[str, Any] = {}
    if authorizer is not None:
        extra["authorizer"] = dict(authorizer)
    event: dict[str, Any] = {
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "requestContext": _request_context("$connect", "CONNECT", connection_id, **extra),
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = dict(query)
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    return event


def disconnect_event(
    connection_id: str, authorizer: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The ``$disconnect`` integration event (client closed with 1001 "going away")."""
    headers = {"Host": DOMAIN_NAME, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""}
    extra: dict[str, Any] = {"disconnectStatusCode": 1001, "disconnectReason": "Going away"}
    if authorizer is not None:
        extra["authorizer"] = dict(authorizer)
    return {
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "requestContext": _request_context("$disconnect", "DISCONNECT", connection_id, **extra),
        "isBase64Encoded": False,
    }


def message_event(
    connection_id: str,
    body: str | bytes,
    *,
    route_key: str = "$default",
    authorizer: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A message integration event; ``bytes`` bodies arrive base64-encoded (binary frame)."""
    extra: dict[str, Any] = {"messageId": uuid.uuid4().hex[:16] + "="}
    if authorizer is not None:
        extra["authorizer"] = dict(authorizer)
    binary = isinstance(body, bytes)
    return {
        "requestContext": _request_context(route_key, "MESSAGE", connection_id, **extra),
        "body": base64.b64encode(body).decode() if isinstance(body, bytes) else body,
        "isBase64Encoded": binary,
    }


def sns_event(
    messages: Sequence[str], attributes: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """An SNS-triggered Lambda event with one record per message body."""
    records = []
    for message in messages:
        records.append(
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{TOPIC_ARN}:{uuid.uuid4()}",
                "EventSource": "aws:sns",
                "Sns": {
                    "SignatureVersion": "1",
                    "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": "https://sns.eu-west-1.amazonaws.com/cert.pem",
                    "MessageId": str(uuid.uuid4()),
                    "Message": message,
                    "MessageAttributes": {
                        name: {"Type": "String", "Value": value}
                        for name, value in (attributes or {}).items()
                    },
                    "Type": "Notification",
                    "UnsubscribeUrl": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe",
                    "TopicArn": TOPIC_ARN,
                    "Subject": None,
                },
            }
        )
    return {"Records": records}
