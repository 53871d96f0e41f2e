"""Where the built demo page lives, and which of its files may be served."""

from __future__ import annotations

from pathlib import Path
from typing import Final

#: ``frontend/demo/dist`` of the source tree this package runs from (an editable install).
DEFAULT_PAGE_DIR: Final = Path(__file__).resolve().parents[3] / "frontend" / "demo" / "dist"
INDEX: Final = "index.html"
BUILD_HINT: Final = (
    "the demo page is not built: run `make setup` in the repository "
    "(or `npm --prefix frontend/demo ci && npm --prefix frontend/demo run build`), "
    "or point `alexho-local up --demo-page-dir` at a built page"
)
CONTENT_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}


def page_dir_of(explicit: str | None) -> Path:
    """``explicit`` (a setting or option), else :data:`DEFAULT_PAGE_DIR`."""
    return Path(explicit) if explicit else DEFAULT_PAGE_DIR


def page_is_built(page_dir: Path) -> bool:
    """Whether ``page_dir`` holds a built page (its ``index.html``)."""
    return (page_dir / INDEX).is_file()


def page_file(page_dir: Path, url_path: str) -> Path | None:
    """The file ``url_path`` names inside ``page_dir``, or ``None``.

    ``/`` is the index; only files of a known type directly or deeper under ``page_dir`` are
    served (no ``..``, no symlink out of the directory, no dot files).
    """
    relative = url_path.lstrip("/") or INDEX
    if any(part.startswith(".") or part == "" for part in relative.split("/")):
        return None
    root = page_dir.resolve()
    candidate = (root / relative).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    if candidate.suffix not in CONTENT_TYPES:
        return None
    return candidate


def missing_page_html(page_dir: Path) -> bytes:
    """What ``/`` shows while the page is not built: how to build it."""
    return (
        "<!doctype html><meta charset=utf-8><title>Demo page not built</title>"
        "<h1>The demo page is not built</h1>"
        f"<p>No <code>{INDEX}</code> in <code>{_escape(str(page_dir))}</code>.</p>"
        "<p>Run <code>make setup</code> in the repository, then reload this page.</p>"
    ).encode()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
