"""Names shared by the CDK construct, the Lambda runtime and the local stack.

One definition of every table key, index, TTL attribute and environment variable name, so the
infrastructure that creates a resource and the code that reads it cannot drift apart.
This module imports nothing beyond the standard library: the construct imports it at synth time
and every handler at cold start.
"""

from __future__ import annotations

from typing import Any, Final

# --- Physical names: prefix + base name (+ "-<environment>") ---------------------------------
DEFAULT_NAME_PREFIX: Final = "alexHo"
API_BASE_NAME: Final = "InvoiceWebSocket"
TOPIC_BASE_NAME: Final = "InvoiceEvents"
AUTH_SECRET_BASE_NAME: Final = "ConnectTokenSigningKey"


class FunctionBaseNames:
    """Base names of the five functions: the construct and the local stack name them alike."""

    AUTHORIZER: Final = "WebSocketAuthorizer"
    CONNECT: Final = "WebSocketConnect"
    DISCONNECT: Final = "WebSocketDisconnect"
    DEFAULT: Final = "WebSocketDefault"
    SEND_INVOICE_UPDATE: Final = "SendInvoiceUpdate"


#: The fan-out's on-failure destination queue (asynchronous invocations that failed for good).
ON_FAILURE_DLQ_BASE_NAME: Final = "SendInvoiceUpdateOnFailureDlq"


class StackOutputs:
    """Output keys of the deployed stack: ``alexho-realtime check --stack`` reads them."""

    WEBSOCKET_URL: Final = "WebSocketUrl"
    CALLBACK_URL: Final = "CallbackUrl"
    TOPIC_ARN: Final = "TopicArn"
    CONNECTIONS_TABLE: Final = "ConnectionsTableName"
    #: The publisher SDK's ``AccessRevoker`` writes revocations there.
    REVOCATIONS_TABLE: Final = "RevocationsTableName"
    SUBSCRIPTION_DLQ_URL: Final = "SubscriptionDlqUrl"
    ON_FAILURE_DLQ_URL: Final = "OnFailureDlqUrl"
    #: Comma-separated names of the five functions.
    FUNCTION_NAMES: Final = "FunctionNames"
    SEND_INVOICE_UPDATE_FUNCTION: Final = "SendInvoiceUpdateFunctionName"
    AUTH_MODE: Final = "AuthMode"
    #: Only in HS256 mode: the signing key's secret (its ARN, never its value).
    AUTH_SECRET_ARN: Final = "AuthSecretArn"


# --- Connections table -----------------------------------------------------------------------
CONNECTIONS_BASE_NAME: Final = "WebSocketConnections"
CONNECTION_ID: Final = "connectionId"
AUDIENCE: Final = "audience"
USER_TYPE: Final = "userType"
CUSTOMER_ID: Final = "customerId"
SUBJECT: Final = "sub"
CONNECTED_AT: Final = "connectedAt"
#: TTL attribute (epoch seconds) of a connection row.
CONNECTION_EXPIRES_AT: Final = "expiresAt"
#: ``exp`` and ``iat`` (epoch seconds) of the token the connection holds (``refresh`` updates
#: them): fan-out and ``resume`` never deliver after ``exp`` (plus the leeway), and a
#: revocation applies to connections whose token was issued at or before it.
TOKEN_EXPIRES_AT: Final = "tokenExpiresAt"
TOKEN_ISSUED_AT: Final = "tokenIssuedAt"
#: GSI keyed by audience, projecting what fan-out checks before posting (token expiry and
#: issue time, subject); no payload-sized attribute.
AUDIENCE_INDEX: Final = "byAudience"
AUDIENCE_INDEX_ATTRIBUTES: Final = (TOKEN_EXPIRES_AT, TOKEN_ISSUED_AT, SUBJECT)
#: GSI keyed by subject (KEYS_ONLY): the live connections of one subject, for a revocation.
SUBJECT_INDEX: Final = "bySubject"
#: API Gateway closes every WebSocket connection at 2 hours; rows expire after that plus slack.
MAX_CONNECTION_SECONDS: Final = 2 * 60 * 60
CONNECTION_TTL_SLACK_SECONDS: Final = 15 * 60

# --- Event log table (for resume) ------------------------------------------------------------
EVENT_LOG_BASE_NAME: Final = "InvoiceEventLog"
EVENT_LOG_PARTITION_KEY: Final = "audience"
EVENT_LOG_SORT_KEY: Final = "cursor"
EVENT_LOG_EXPIRES_AT: Final = "expiresAt"
DEFAULT_EVENT_RETENTION_SECONDS: Final = 24 * 60 * 60

# --- Revocations table (read by key only, never scanned) -----------------------------------
REVOCATIONS_BASE_NAME: Final = "WebSocketRevocations"
#: ``CUSTOMER#<customerId>`` or ``SUB#<sub>``.
REVOCATION_KEY: Final = "revocationKey"
REVOCATION_CUSTOMER_PREFIX: Final = "CUSTOMER#"
REVOCATION_SUBJECT_PREFIX: Final = "SUB#"
#: Epoch seconds: tokens of the identity issued at or before this second are refused.
REVOKED_AT: Final = "revokedAt"
#: TTL attribute (epoch seconds) of a revocation.
REVOCATION_EXPIRES_AT: Final = "expiresAt"

# --- Token lifetime --------------------------------------------------------------------------
#: Default and upper bound of the longest ``exp - iat`` the authorizer accepts.
DEFAULT_MAX_TOKEN_LIFETIME_SECONDS: Final = 60 * 60
MAX_TOKEN_LIFETIME_LIMIT_SECONDS: Final = 24 * 60 * 60
#: Clock skew tolerated on ``exp``, ``nbf`` and ``iat`` (and on a connection's token expiry).
DEFAULT_TOKEN_LEEWAY_SECONDS: Final = 30
MAX_TOKEN_LEEWAY_SECONDS: Final = 5 * 60
#: A revocation is kept until every token it refuses has expired: a token issued before it
#: expires at most the longest lifetime (plus the leeway) later.
REVOCATION_RETENTION_SECONDS: Final = MAX_TOKEN_LIFETIME_LIMIT_SECONDS + MAX_TOKEN_LEEWAY_SECONDS

# --- Audiences and user types ----------------------------------------------------------------
ADMIN: Final = "ADMIN"
CUSTOMER: Final = "CUSTOMER"
ADMIN_AUDIENCE: Final = "ADMIN"
CUSTOMER_AUDIENCE_PREFIX: Final = "CUSTOMER#"
#: The longest ``sub`` anywhere (OpenID Connect Core §2: at most 255 ASCII characters): the
#: authorizer, ``$connect``, token minting and revocation all use this one limit.
MAX_SUBJECT_LENGTH: Final = 255

# --- Client protocol -------------------------------------------------------------------------
#: Subprotocol a browser offers next to its token in ``Sec-WebSocket-Protocol``;
#: ``$connect`` echoes it back (never the token).
SUBPROTOCOL: Final = "alexho-invoice.v1"
TOKEN_QUERY_PARAMETER: Final = "token"
#: API Gateway's WebSocket message limit.
MAX_MESSAGE_BYTES: Final = 128 * 1024

# --- Publishing (SNS) ------------------------------------------------------------------------
#: SNS message attributes (DataType ``String``) on every event, for subscription filter policies.
EVENT_TYPE_MESSAGE_ATTRIBUTE: Final = "eventType"
CUSTOMER_ID_MESSAGE_ATTRIBUTE: Final = "customerId"
#: Environment variable a backend sets to the topic ARN (publisher SDK ``from_environment``).
PUBLISHER_TOPIC_ARN_ENV: Final = "ALEXHO_INVOICE_TOPIC_ARN"

# --- Auth ------------------------------------------------------------------------------------
AUTH_MODE_HS256: Final = "HS256"
AUTH_MODE_JWKS: Final = "JWKS"
DEFAULT_CLAIM_SUB: Final = "sub"
DEFAULT_CLAIM_USER_TYPE: Final = "userType"
DEFAULT_CLAIM_CUSTOMER_ID: Final = "customerId"


class Env:
    """Environment variable names the construct sets and the runtime reads."""

    CONNECTIONS_TABLE: Final = "CONNECTIONS_TABLE_NAME"
    REVOCATIONS_TABLE: Final = "REVOCATIONS_TABLE_NAME"
    EVENT_LOG_TABLE: Final = "EVENT_LOG_TABLE_NAME"
    #: ``https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`` (Management API endpoint).
    CALLBACK_URL: Final = "WEBSOCKET_CALLBACK_URL"
    EVENT_RETENTION_SECONDS: Final = "EVENT_RETENTION_SECONDS"
    AUTH_MODE: Final = "AUTH_MODE"
    #: HS256 mode: ARN (or name) of the Secrets Manager secret whose SecretString is the key.
    AUTH_SECRET_ID: Final = "AUTH_SECRET_ID"
    #: JWKS mode.
    AUTH_JWKS_URL: Final = "AUTH_JWKS_URL"
    #: Optional in HS256 mode, required in JWKS mode.
    AUTH_ISSUER: Final = "AUTH_ISSUER"
    AUTH_AUDIENCE: Final = "AUTH_AUDIENCE"
    #: Longest ``exp - iat`` accepted, in seconds (default 1 hour).
    AUTH_MAX_TOKEN_LIFETIME: Final = "AUTH_MAX_TOKEN_LIFETIME_SECONDS"
    #: Clock skew tolerated, in seconds (default 30).
    AUTH_LEEWAY: Final = "AUTH_LEEWAY_SECONDS"
    CLAIM_SUB: Final = "AUTH_CLAIM_SUB"
    CLAIM_USER_TYPE: Final = "AUTH_CLAIM_USER_TYPE"
    CLAIM_CUSTOMER_ID: Final = "AUTH_CLAIM_CUSTOMER_ID"
    POWERTOOLS_SERVICE_NAME: Final = "POWERTOOLS_SERVICE_NAME"
    METRICS_NAMESPACE: Final = "POWERTOOLS_METRICS_NAMESPACE"
    LOG_LEVEL: Final = "LOG_LEVEL"
    #: Optional: override of the AWS endpoint (local stack only; unset on AWS).
    AWS_ENDPOINT_URL: Final = "AWS_ENDPOINT_URL"
    #: Optional fan-out knobs (defaults in ``alexho_invoice_runtime.fanout.settings``):
    #: posting threads
    #: (and HTTP connections), attempts per post when throttled, first retry delay, and
    #: recipients per ``Query`` page.
    FANOUT_WORKERS: Final = "FANOUT_WORKERS"
    FANOUT_MAX_ATTEMPTS: Final = "FANOUT_MAX_ATTEMPTS"
    FANOUT_BACKOFF_BASE_MS: Final = "FANOUT_BACKOFF_BASE_MS"
    FANOUT_QUERY_PAGE_SIZE: Final = "FANOUT_QUERY_PAGE_SIZE"


def connections_table_definition(table_name: str) -> dict[str, Any]:
    """``CreateTable`` arguments of the connections table (used by the local stack; the
    construct builds the same keys from the constants above)."""
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": CONNECTION_ID, "AttributeType": "S"},
            {"AttributeName": AUDIENCE, "AttributeType": "S"},
            {"AttributeName": SUBJECT, "AttributeType": "S"},
        ],
        "KeySchema": [{"AttributeName": CONNECTION_ID, "KeyType": "HASH"}],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": AUDIENCE_INDEX,
                "KeySchema": [{"AttributeName": AUDIENCE, "KeyType": "HASH"}],
                "Projection": {
                    "ProjectionType": "INCLUDE",
                    "NonKeyAttributes": list(AUDIENCE_INDEX_ATTRIBUTES),
                },
            },
            {
                "IndexName": SUBJECT_INDEX,
                "KeySchema": [{"AttributeName": SUBJECT, "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
        ],
    }


def revocations_table_definition(table_name: str) -> dict[str, Any]:
    """``CreateTable`` arguments of the revocations table (one item per revoked identity)."""
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": REVOCATION_KEY, "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": REVOCATION_KEY, "KeyType": "HASH"}],
    }


def event_log_table_definition(table_name: str) -> dict[str, Any]:
    """``CreateTable`` arguments of the event-log table."""
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": EVENT_LOG_PARTITION_KEY, "AttributeType": "S"},
            {"AttributeName": EVENT_LOG_SORT_KEY, "AttributeType": "S"},
        ],
        "KeySchema": [
            {"AttributeName": EVENT_LOG_PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": EVENT_LOG_SORT_KEY, "KeyType": "RANGE"},
        ],
    }
