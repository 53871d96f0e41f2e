"""Secrets Manager's ``GetSecretValue`` on its JSON protocol (``X-Amz-Target:
secretsmanager.GetSecretValue``), retried by the layer's policy."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Final, Protocol

from alexho_invoice_runtime.aws.json_protocol import json_answer
from alexho_invoice_runtime.aws.retry import DEFAULT_POLICY, RetryPolicy, with_retries
from alexho_invoice_runtime.aws.transport import Endpoint

_HEADERS: Final = {
    "Content-Type": "application/x-amz-json-1.1",
    "X-Amz-Target": "secretsmanager.GetSecretValue",
}


class SecretsApi(Protocol):
    """What the runtime reads from Secrets Manager."""

    def secret_string(self, secret_id: str) -> str | None:
        """The ``SecretString`` of ``secret_id`` (``None`` for a binary secret)."""
        ...


class HttpSecretsApi:
    """Secrets Manager on one endpoint (implements :class:`SecretsApi`). Thread-safe."""

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        retry: RetryPolicy = DEFAULT_POLICY,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._endpoint = endpoint
        self._retry = retry
        self._sleep = sleep

    def secret_string(self, secret_id: str) -> str | None:
        """The ``SecretString`` of ``secret_id`` (``None`` for a binary secret); raises
        :class:`AwsError` (``ResourceNotFoundException``, ``AccessDeniedException``, ...)."""
        body = json.dumps({"SecretId": secret_id}).encode()

        def once() -> str | None:
            reply = self._endpoint.request("POST", "/", body, _HEADERS)
            value = json_answer(reply.status, reply.body).get("SecretString")
            return value if isinstance(value, str) else None

        return with_retries(once, self._retry, sleep=self._sleep)
