"""``alexho-realtime`` installed without its ``ops`` extra says so in one line."""

from __future__ import annotations

import subprocess
import sys

#: The console script's entry point in a Python where the ops extra's modules are not installed.
WITHOUT_EXTRA = """
import sys
for name in ("jwt", "cryptography", "websockets"):
    sys.modules[name] = None  # import raises ModuleNotFoundError, as when not installed
from alexho_invoice_ops.cli import main
sys.exit(main(["check", "--local"]))
"""


def test_check_without_the_ops_extra_prints_one_line_and_exits_2() -> None:
    # WHEN the check runs where PyJWT and websockets are not installed
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRA], capture_output=True, text=True, timeout=60
    )
    # THEN one line names the missing module and the extra to install; no traceback
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "alexho-realtime: the 'websockets' module is missing; install the ops extra: "
        "pip install 'alexho-invoice-realtime[ops]'\n"
    )
