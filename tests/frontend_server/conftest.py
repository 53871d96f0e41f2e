"""Node scripts that use ``@alexho/invoice-realtime/server`` as an app installs it, and the local
stack (in-process moto and fan-out, the browser tests' layout) they talk to over loopback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest

from alexho_invoice_local.settings import StackSettings
from tests.local.conftest import endpoints, stack, state_file, tokens

__all__ = ["endpoints", "stack", "state_file", "tokens"]

REPO: Final = Path(__file__).resolve().parents[2]
FRONTEND: Final = REPO / "frontend"
SCRIPTS: Final = Path(__file__).resolve().parent / "scripts"
BUILD_HINT: Final = (
    "frontend/dist/server is not built: run `make setup` (npm run build in frontend/)"
)


@dataclass(frozen=True)
class NodeApp:
    """A folder whose ``node_modules/@alexho/invoice-realtime`` is ``frontend/`` (as
    ``npm install ../frontend`` links it), holding the scripts of ``scripts/``."""

    home: Path

    def run(
        self,
        script: str,
        *args: str,
        stdin: Any = None,
        env: Mapping[str, str] | None = None,
        shell: str | None = None,
        node: str = "node",
    ) -> Any:
        """Run ``scripts/<script>`` with ``node`` (``stdin`` given to it as JSON); its stdout's
        last line, parsed as JSON.

        With ``shell``, run ``bash -c`` on that text instead, with the script's path and ``args``
        as ``$0``, ``$1``…; ``node`` is the Node.js binary (default: the one on ``PATH``).
        """
        command = [node, str(self.home / script), *args]
        if shell is not None:
            command = ["bash", "-c", shell, *command[1:]]
        completed = subprocess.run(
            command,
            cwd=self.home,
            input=json.dumps(stdin),
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr
        return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def node_app(tmp_path_factory: pytest.TempPathFactory) -> NodeApp:
    """The app folder, once per module."""
    if not (FRONTEND / "dist" / "server" / "index.js").exists():
        pytest.fail(BUILD_HINT)
    home = tmp_path_factory.mktemp("node-app")
    scope = home / "node_modules" / "@alexho"
    scope.mkdir(parents=True)
    (scope / "invoice-realtime").symlink_to(FRONTEND, target_is_directory=True)
    for script in SCRIPTS.glob("*.mjs"):
        shutil.copy(script, home / script.name)
    return NodeApp(home)


@pytest.fixture(scope="module")
def stack_settings() -> StackSettings:
    """Free ports; moto and the fan-out in this process (quick to start and stop)."""
    return StackSettings(
        websocket_port=0,
        management_port=0,
        moto_port=0,
        moto_in_process=True,
        fanout_in_processes=False,
        demo_page=False,
        retry_delays_seconds=(0.1, 0.2),
    )
