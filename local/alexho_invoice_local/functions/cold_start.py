"""Cold starts: each stack gets fresh handler "containers" (no clients, keys or settings cached
from an earlier stack or test in the same process)."""

from __future__ import annotations

from alexho_invoice_runtime.auth import verifier
from alexho_invoice_runtime.aws import clients


def reset_handler_caches() -> None:
    """Drop what the handlers cache per container: AWS clients, the token verifier, its key."""
    clients.reset()
    verifier.reset()
