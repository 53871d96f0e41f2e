"""Revocations: "refuse the tokens of this customer (or subject) issued at or before T".

One item per revoked identity in the revocations table, keyed ``CUSTOMER#<customerId>`` or
``SUB#<sub>``, holding ``revokedAt`` (epoch seconds) and a TTL once every token it refuses has
expired. Items are read by key with ``BatchGetItem`` (strongly consistent), never scanned. The
authorizer, ``refresh``, ``resume`` and the fan-out all decide with :func:`is_revoked`; the
publisher SDK writes items with :func:`revocation_item`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from alexho_invoice_runtime.aws.dynamodb import TableApi
from alexho_invoice_runtime.definitions import (
    CUSTOMER,
    REVOCATION_CUSTOMER_PREFIX,
    REVOCATION_EXPIRES_AT,
    REVOCATION_KEY,
    REVOCATION_RETENTION_SECONDS,
    REVOCATION_SUBJECT_PREFIX,
    REVOKED_AT,
)

#: Reads ``revokedAt`` of revocation keys (e.g. :meth:`RevocationLookup.revoked_at`).
RevocationReader = Callable[[Iterable[str]], Mapping[str, int]]


def customer_key(customer_id: str) -> str:
    """The revocation key of every user of customer ``customer_id``."""
    return REVOCATION_CUSTOMER_PREFIX + customer_id


def subject_key(sub: str) -> str:
    """The revocation key of subject ``sub``."""
    return REVOCATION_SUBJECT_PREFIX + sub


def keys_for(sub: str, user_type: str, customer_id: str) -> tuple[str, ...]:
    """The revocation keys that apply to one identity (its subject, and its customer)."""
    if user_type == CUSTOMER and customer_id:
        return (subject_key(sub), customer_key(customer_id))
    return (subject_key(sub),)


def is_revoked(issued_at: int, keys: Iterable[str], revoked_at: Mapping[str, int]) -> bool:
    """Whether a token issued at ``issued_at`` falls under a revocation of one of ``keys``."""
    return any(key in revoked_at and issued_at <= revoked_at[key] for key in keys)


def revocation_item(key: str, revoked_at: int) -> dict[str, Any]:
    """The table item recording that tokens of ``key`` issued at or before ``revoked_at`` are
    refused (kept until the longest-lived such token has expired)."""
    return {
        REVOCATION_KEY: key,
        REVOKED_AT: revoked_at,
        REVOCATION_EXPIRES_AT: revoked_at + REVOCATION_RETENTION_SECONDS,
    }


class RevocationLookup:
    """Reads revocations by key from the revocations table (thread-safe)."""

    def __init__(self, table: TableApi) -> None:
        self._table = table

    def revoked_at(self, keys: Iterable[str]) -> dict[str, int]:
        """``revokedAt`` of each of ``keys`` that has a revocation (one strongly consistent
        ``BatchGetItem`` per 100 keys); an ``AwsError`` propagates."""
        items = self._table.batch_get(
            [{REVOCATION_KEY: key} for key in dict.fromkeys(keys)],
            consistent=True,
            projection=[REVOCATION_KEY, REVOKED_AT],
        )
        return {str(item[REVOCATION_KEY]): int(item[REVOKED_AT]) for item in items}


class MemoizedRevocations:
    """A :class:`RevocationLookup` that reads each key at most once (for one fan-out)."""

    def __init__(self, lookup: RevocationLookup) -> None:
        self._lookup = lookup
        self._known: dict[str, int | None] = {}
        self._lock = threading.Lock()

    def revoked_at(self, keys: Iterable[str]) -> dict[str, int]:
        """Like :meth:`RevocationLookup.revoked_at`, reading only keys not read before."""
        keys = list(keys)
        with self._lock:
            unknown = [key for key in keys if key not in self._known]
        if unknown:
            read = self._lookup.revoked_at(unknown)
            with self._lock:
                for key in unknown:
                    self._known[key] = read.get(key)
        with self._lock:
            return {key: at for key in keys if (at := self._known.get(key)) is not None}
