"""Screening recipients before posting: no event reaches a connection whose token has expired
(beyond the leeway) or whose identity was revoked; such a connection is closed instead.

Revocations of one page are read together (``BatchGetItem``, each key once per event), so an
event costs at most one extra read request per page of recipients.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from alexho_invoice_runtime.access import Access, access_of
from alexho_invoice_runtime.fanout.recipients import Recipient
from alexho_invoice_runtime.revocations import RevocationReader, keys_for


class RecipientScreen:
    """Lets live recipients through, closes the others and counts them.

    ``close`` disconnects a connection and removes its row (it must not raise for an AWS
    error: the connection is not posted to either way).
    """

    def __init__(
        self,
        revocations: RevocationReader,
        close: Callable[[str], None],
        leeway_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._revocations = revocations
        self._close = close
        self._leeway = leeway_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self.expired = 0
        self.revoked = 0

    def live_ids(self, page: list[Recipient]) -> list[str]:
        """Connection ids of the recipients of ``page`` that may receive the event."""
        now = self._clock()
        keys = [
            key
            for recipient in page
            if recipient.token_expires_at + self._leeway >= now
            for key in keys_for(recipient.sub, recipient.user_type, recipient.customer_id)
        ]
        revoked_at = self._revocations(keys) if keys else {}

        def known(wanted: Iterable[str]) -> dict[str, int]:
            return {key: revoked_at[key] for key in wanted if key in revoked_at}

        live = []
        for recipient in page:
            access = access_of(
                sub=recipient.sub,
                user_type=recipient.user_type,
                customer_id=recipient.customer_id,
                token_issued_at=recipient.token_issued_at,
                token_expires_at=recipient.token_expires_at,
                revocations=known,
                now=now,
                leeway_seconds=self._leeway,
            )
            if access is Access.LIVE:
                live.append(recipient.connection_id)
                continue
            self._close(recipient.connection_id)
            with self._lock:
                if access is Access.EXPIRED:
                    self.expired += 1
                else:
                    self.revoked += 1
        return live
