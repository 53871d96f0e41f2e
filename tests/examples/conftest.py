"""The Next.js example built for, and served next to, a local stack; headless chromium (the
browser tests' fixtures, so it runs where they do) drives it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from alexho_invoice_local.endpoints import StackEndpoints
from tests.browser.conftest import browser, console_problems, new_context
from tests.examples import nextjs_app
from tests.frontend_server.conftest import stack_settings
from tests.local.conftest import endpoints, publisher, stack

__all__ = [
    "browser",
    "console_problems",
    "endpoints",
    "new_context",
    "publisher",
    "stack",
    "stack_settings",
]


@pytest.fixture(scope="module")
def app_url(endpoints: StackEndpoints, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The example, built with the stack's WebSocket URL and served on loopback."""
    if not nextjs_app.NEXT.exists():
        pytest.fail(nextjs_app.INSTALL_HINT)
    nextjs_app.build(endpoints)
    with nextjs_app.serve(endpoints, tmp_path_factory.mktemp("next") / "next-start.log") as url:
        yield url
