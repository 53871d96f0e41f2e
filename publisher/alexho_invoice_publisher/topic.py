"""The SNS topic an event is published to, from its ARN."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from alexho_invoice_publisher.errors import PublisherConfigurationError

_TOPIC_ARN: Final = re.compile(
    r"arn:(?P<partition>aws(?:-[a-z]+)*):sns:(?P<region>[a-z]{2}(?:-[a-z]+)+-[0-9]+):"
    r"(?P<account_id>[0-9]{12}):(?P<name>[A-Za-z0-9_-]{1,256}(?:\.fifo)?)"
)


@dataclass(frozen=True)
class TopicArn:
    """A parsed SNS topic ARN (``arn:<partition>:sns:<region>:<account>:<name>``)."""

    arn: str
    partition: str
    region: str
    account_id: str
    name: str

    @classmethod
    def parse(cls, text: object, *, setting: str = "topic_arn") -> TopicArn:
        """Parse ``text``; raise :class:`PublisherConfigurationError` naming ``setting``."""
        if not isinstance(text, str) or not text.strip():
            raise PublisherConfigurationError(
                f"{setting} is missing: give the ARN of the invoice events SNS topic"
            )
        match = _TOPIC_ARN.fullmatch(text.strip())
        if match is None:
            raise PublisherConfigurationError(
                f"{setting} is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)"
            )
        return cls(arn=match.group(0), **match.groupdict())
