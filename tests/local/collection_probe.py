"""A handler that reports its container's garbage collection: how many objects are frozen, and
which threads run."""

from __future__ import annotations

import gc
import threading
from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {
        "frozen": gc.get_freeze_count(),
        "threads": sorted(thread.name for thread in threading.enumerate()),
    }
