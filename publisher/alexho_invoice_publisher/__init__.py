"""Publisher SDK of AlexHo Invoice Realtime: publish invoice events, mint connect tokens,
revoke a customer's or a subject's access.

Needs boto3 only; minting tokens also needs PyJWT (``pip install
'alexho-invoice-realtime[runtime]'``), imported only when a token minter is created.
"""

from alexho_invoice_publisher.errors import (
    BatchPublishError,
    EventTooLargeError,
    InvalidInvoiceEventError,
    InvalidTokenRequestError,
    InvoiceEventTooLargeError,
    MissingDependencyError,
    PublisherConfigurationError,
    PublisherError,
    PublishError,
    RevocationError,
    SigningKeyUnavailableError,
)
from alexho_invoice_publisher.publisher import (
    DEFAULT_SOURCE,
    TOPIC_ARN_ENV,
    BatchItem,
    InvoiceEventPublisher,
)
from alexho_invoice_publisher.results import BatchPublishResult, PublishFailure, PublishResult
from alexho_invoice_publisher.revocation import AccessRevoker, RevocationResult
from alexho_invoice_publisher.tokens import ConnectTokenMinter, mint_connect_token
from alexho_invoice_runtime.contract import MAX_EVENT_BYTES, EventType, InvoiceEvent

__all__ = [
    "DEFAULT_SOURCE",
    "MAX_EVENT_BYTES",
    "TOPIC_ARN_ENV",
    "AccessRevoker",
    "BatchItem",
    "BatchPublishError",
    "BatchPublishResult",
    "ConnectTokenMinter",
    "EventTooLargeError",
    "EventType",
    "InvalidInvoiceEventError",
    "InvalidTokenRequestError",
    "InvoiceEvent",
    "InvoiceEventPublisher",
    "InvoiceEventTooLargeError",
    "MissingDependencyError",
    "PublishError",
    "PublishFailure",
    "PublishResult",
    "PublisherConfigurationError",
    "PublisherError",
    "RevocationError",
    "RevocationResult",
    "SigningKeyUnavailableError",
    "mint_connect_token",
]
