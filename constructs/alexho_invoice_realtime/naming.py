"""Physical names: ``<prefix><BaseName>[-<environment suffix>]``.

One prefix and one suffix per construct instance keep two environments (or two instances) apart
in one account and region, while every name still carries the product's base name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from alexho_invoice_runtime import definitions

#: Lambda function names are the tightest limit among the named resources (64 characters).
MAX_NAME_LENGTH: Final = 64
_PREFIX_PATTERN: Final = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_SUFFIX_PATTERN: Final = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")


class BaseNames:
    """Base names of every named resource (the part between prefix and suffix)."""

    API: Final = definitions.API_BASE_NAME
    TOPIC: Final = definitions.TOPIC_BASE_NAME
    CONNECTIONS_TABLE: Final = definitions.CONNECTIONS_BASE_NAME
    EVENT_LOG_TABLE: Final = definitions.EVENT_LOG_BASE_NAME
    REVOCATIONS_TABLE: Final = definitions.REVOCATIONS_BASE_NAME
    AUTH_SECRET: Final = definitions.AUTH_SECRET_BASE_NAME
    AUTHORIZER_FUNCTION: Final = definitions.FunctionBaseNames.AUTHORIZER
    CONNECT_FUNCTION: Final = definitions.FunctionBaseNames.CONNECT
    DISCONNECT_FUNCTION: Final = definitions.FunctionBaseNames.DISCONNECT
    DEFAULT_FUNCTION: Final = definitions.FunctionBaseNames.DEFAULT
    SEND_INVOICE_UPDATE_FUNCTION: Final = definitions.FunctionBaseNames.SEND_INVOICE_UPDATE
    SUBSCRIPTION_DLQ: Final = "SendInvoiceUpdateSubscriptionDlq"
    ON_FAILURE_DLQ: Final = definitions.ON_FAILURE_DLQ_BASE_NAME


@dataclass(frozen=True)
class PhysicalNames:
    """Builds every physical name of one construct instance."""

    prefix: str = definitions.DEFAULT_NAME_PREFIX
    suffix: str | None = None

    def __post_init__(self) -> None:
        if not _PREFIX_PATTERN.fullmatch(self.prefix):
            raise ValueError(
                f"name_prefix {self.prefix!r} must start with a letter and hold only letters "
                "and digits (it starts Lambda, DynamoDB, SNS and SQS names)"
            )
        if self.suffix is not None and not _SUFFIX_PATTERN.fullmatch(self.suffix):
            raise ValueError(
                f"environment_suffix {self.suffix!r} must be letters and digits, "
                "optionally joined by single hyphens (for example 'dev' or 'eu-prod')"
            )
        longest = self.name(BaseNames.SUBSCRIPTION_DLQ)
        if len(longest) > MAX_NAME_LENGTH:
            raise ValueError(
                f"name_prefix + environment_suffix are too long: {longest!r} has "
                f"{len(longest)} characters, the limit is {MAX_NAME_LENGTH}"
            )

    def name(self, base_name: str) -> str:
        """``<prefix><base_name>`` plus ``-<suffix>`` when a suffix is set."""
        name = f"{self.prefix}{base_name}"
        return f"{name}-{self.suffix}" if self.suffix else name
