"""The ``alexho-local`` console script and ``python -m alexho_invoice_local``.

The local stack needs the ``[local]`` extra (moto's server, websockets, PyJWT). Without it, this
names the missing package and the extra to install, instead of an import traceback.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Final

#: A module of each package of the ``[local]`` extra (``moto.server`` needs moto's ``server``
#: extra too: Flask and Werkzeug).
LOCAL_EXTRA_MODULES: Final = ("jwt", "websockets", "moto.server")
INSTALL_LOCAL_EXTRA: Final = "pip install 'alexho-invoice-realtime[local]'"
EXIT_USAGE: Final = 2


def missing_local_module() -> str | None:
    """The name of a module the ``[local]`` extra provides that cannot be imported, or ``None``."""
    for module in LOCAL_EXTRA_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as missing:
            return missing.name or module
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Check the ``[local]`` extra, then run :func:`alexho_invoice_local.cli.main.main`."""
    missing = missing_local_module()
    if missing is not None:
        print(
            f"alexho-local: the local stack needs the [local] extra ({missing} is not "
            f"installed): {INSTALL_LOCAL_EXTRA}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    # Imported only now: it imports moto, websockets and (through the handlers) PyJWT.
    from alexho_invoice_local.cli.main import main as run_command

    return run_command(argv)
