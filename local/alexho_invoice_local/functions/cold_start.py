"""Cold starts: each stack gets fresh handler "containers" (no clients, keys or settings cached
from an earlier stack or test in the same process)."""

from __future__ import annotations

from alexho_invoice_runtime import aws_clients
from alexho_invoice_runtime.auth import verifier


def reset_handler_caches() -> None:
    """Drop what the handlers cache per container: boto3 clients, the token verifier, its key."""
    aws_clients.reset()
    verifier.reset()
