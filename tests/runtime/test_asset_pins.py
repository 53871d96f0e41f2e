"""The Lambda asset's pins (``lambda_src/alexho_invoice_runtime/requirements.txt``): every
third-party module the runtime imports is pinned with ``==``, and the versions tested here are
the versions deployed."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

import alexho_invoice_runtime

#: The package the construct bundles (``bundling.runtime_package_dir`` finds the same folder).
RUNTIME = Path(alexho_invoice_runtime.__file__).parent
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[A-Za-z0-9.+!-]+)$")


def asset_pins() -> dict[str, str]:
    """``{distribution name (lower case): version}`` of the asset's requirements."""
    pins: dict[str, str] = {}
    for line in (RUNTIME / "requirements.txt").read_text().splitlines():
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        match = _PIN.match(text)
        assert match, f"not pinned with ==: {text!r}"
        pins[match["name"].lower()] = match["version"]
    return pins


def imported_top_level_modules(root: Path) -> set[str]:
    """Top-level names of every absolute import in the ``.py`` files under ``root``."""
    names: set[str] = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def test_every_requirement_of_the_asset_is_pinned_exactly() -> None:
    assert asset_pins(), "the asset pins nothing"


def test_the_dev_environment_runs_the_versions_the_asset_deploys() -> None:
    # GIVEN the asset's pins WHEN compared with what this environment's tests import
    installed = {name: importlib.metadata.version(name) for name in asset_pins()}
    # THEN they are the same versions
    assert installed == asset_pins()


def test_every_third_party_module_the_runtime_imports_is_pinned() -> None:
    # GIVEN the modules the runtime imports, other than the standard library and itself
    third_party = {
        name
        for name in imported_top_level_modules(RUNTIME)
        if name not in sys.stdlib_module_names and name not in {"alexho_invoice_runtime"}
    }
    # WHEN each is traced to the distribution that provides it
    providers = importlib.metadata.packages_distributions()
    distributions = {dist.lower() for name in third_party for dist in providers.get(name, [name])}
    # THEN the asset pins every one, and no AWS SDK is among them
    assert distributions <= set(asset_pins()), distributions - set(asset_pins())
    assert not {"boto3", "botocore", "awscrt", "urllib3"} & third_party
