"""What the checks look at: one deployed or local stack, and boto3 clients for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import boto3
from botocore.config import Config

_CLIENT_CONFIG = Config(connect_timeout=5, read_timeout=20, retries={"max_attempts": 3})


class DeadLetterKind(StrEnum):
    """Which of the fan-out's two dead-letter queues (they are redriven differently)."""

    SUBSCRIPTION = "subscription DLQ"
    ON_FAILURE = "on-failure DLQ"


@dataclass(frozen=True)
class DeadLetterQueue:
    """One dead-letter queue and what it catches."""

    kind: DeadLetterKind
    url: str
    catches: str

    @property
    def label(self) -> str:
        """How the report names the queue."""
        return str(self.kind)

    @property
    def name(self) -> str:
        """The queue name (last segment of its URL)."""
        return self.url.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class CheckTarget:
    """Names, URLs and ARNs of one stack (no secret values)."""

    description: str
    region: str
    websocket_url: str
    topic_arn: str
    connections_table: str
    dead_letter_queues: tuple[DeadLetterQueue, ...]
    function_names: tuple[str, ...]
    fanout_function: str | None
    auth_mode: str
    secret_arn: str | None
    #: The local stack's moto endpoint; ``None`` on AWS.
    endpoint_url: str | None = None
    #: Fake credentials of the local stack (moto ignores them); ``None`` on AWS.
    local_credentials: tuple[str, str] | None = None
    _clients: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_local(self) -> bool:
        """Whether this is the local stack (no CloudWatch metrics or logs there)."""
        return self.endpoint_url is not None

    def client(self, service: str) -> Any:
        """A boto3 client of ``service`` for this stack's account and region (one per service
        and target; boto3 clients are thread-safe)."""
        if service not in self._clients:
            self._clients[service] = make_client(
                service, self.region, self.endpoint_url, self.local_credentials
            )
        return self._clients[service]

    def to_json(self) -> dict[str, Any]:
        """The target as a JSON-ready mapping."""
        return {
            "description": self.description,
            "region": self.region,
            "websocketUrl": self.websocket_url,
            "topicArn": self.topic_arn,
            "connectionsTable": self.connections_table,
            "deadLetterQueues": [queue.url for queue in self.dead_letter_queues],
            "functions": list(self.function_names),
            "authMode": self.auth_mode,
            "local": self.is_local,
        }


def make_client(
    service: str,
    region: str | None,
    endpoint_url: str | None = None,
    credentials: tuple[str, str] | None = None,
) -> Any:
    """A boto3 client with short timeouts (a check must not hang on an unreachable endpoint)."""
    arguments: dict[str, Any] = {"region_name": region, "config": _CLIENT_CONFIG}
    if endpoint_url is not None:
        arguments["endpoint_url"] = endpoint_url
    if credentials is not None:
        arguments["aws_access_key_id"], arguments["aws_secret_access_key"] = credentials
    return boto3.client(service, **arguments)  # type: ignore[call-overload]
