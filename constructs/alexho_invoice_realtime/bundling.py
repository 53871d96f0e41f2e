"""The functions' code asset, bundled without Docker.

The asset root holds the ``alexho_invoice_runtime`` package (source folder ``lambda_src/``;
handlers are ``alexho_invoice_runtime.handlers.<x>.handler``) next to what the Lambda runtime
lacks: PyJWT with its ``cryptography`` backend, pinned in the package's ``requirements.txt`` and
installed by ``pip --platform`` for the functions' CPU architecture and Python version. (The
runtime reaches AWS through its own standard-library layer, ``alexho_invoice_runtime.aws``, so
the managed runtime's boto3 and botocore are never imported and need no pin.) The
package is found by its own name, so a consumer's project with a ``lambda_src`` folder of its
own never shadows it. All five functions share this one asset (the authorizer is the
only one that imports PyJWT; packages that are never imported cost nothing at cold start, and one
asset keeps handlers and dependencies versioned together — a layer would add a second asset and a
version to keep in step).

Repeated synths do not rerun pip: the installed dependencies are cached on disk under a key made
of the requirements and the target platform (``ALEXHO_BUNDLE_CACHE_DIR``, default
``./.bundle-cache``), and the asset hash is computed from the same inputs, so it is stable.
When pip is unavailable or fails, bundling falls back to the runtime's Docker build image.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

#: Bump when the layout of the bundled asset changes, to invalidate caches and asset hashes.
BUNDLE_FORMAT_VERSION: Final = "1"
BUNDLE_CACHE_ENV: Final = "ALEXHO_BUNDLE_CACHE_DIR"
DEFAULT_BUNDLE_CACHE_DIR: Final = ".bundle-cache"
PACKAGE_NAME: Final = "alexho_invoice_runtime"
REQUIREMENTS_FILE: Final = "requirements.txt"
_IGNORED_NAMES: Final = ("__pycache__", "*.pyc", "*.pyo")


class BundlingUnavailableError(RuntimeError):
    """Local bundling cannot run here (no pip, or pip failed); Docker is the fallback."""


@dataclass(frozen=True)
class PipTarget:
    """The platform ``pip install --platform`` resolves wheels for."""

    python_version: str
    platform: str
    implementation: str = "cp"

    @classmethod
    def for_function(
        cls, runtime: lambda_.Runtime, architecture: lambda_.Architecture
    ) -> PipTarget:
        """Target of a Python ``runtime`` (``python3.14`` → ``3.14``) on ``architecture``."""
        if not runtime.name.startswith("python"):
            raise ValueError(f"runtime {runtime.name} is not a Python runtime")
        machine = "aarch64" if architecture.name == lambda_.Architecture.ARM_64.name else "x86_64"
        return cls(
            python_version=runtime.name.removeprefix("python"),
            platform=f"manylinux2014_{machine}",
        )

    @property
    def key(self) -> str:
        """Identifies the target in cache keys and asset hashes."""
        return f"{self.implementation}-{self.python_version}-{self.platform}"


def runtime_package_dir() -> Path:
    """Directory of the installed runtime package (wheel or editable install alike)."""
    spec = importlib.util.find_spec(PACKAGE_NAME)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {PACKAGE_NAME} package is not installed")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def bundle_cache_dir() -> Path:
    """Where installed dependencies are cached between synths."""
    return Path(os.environ.get(BUNDLE_CACHE_ENV, DEFAULT_BUNDLE_CACHE_DIR)).resolve()


def _source_files(source: Path) -> list[Path]:
    ignored = shutil.ignore_patterns(*_IGNORED_NAMES)
    files: list[Path] = []
    for directory, dirnames, filenames in os.walk(source):
        skipped = ignored(directory, [*dirnames, *filenames])
        dirnames[:] = sorted(name for name in dirnames if name not in skipped)
        files.extend(Path(directory, name) for name in sorted(filenames) if name not in skipped)
    return files


def asset_hash(source: Path, target: PipTarget) -> str:
    """Hash of everything that ends up in the asset: the sources, the pins and the target."""
    digest = hashlib.sha256(f"{BUNDLE_FORMAT_VERSION}|{target.key}".encode())
    for path in _source_files(source):
        digest.update(path.relative_to(source).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


@jsii.implements(ILocalBundling)
class LocalPipBundling:
    """Copies the runtime package into the asset, plus the pinned dependencies from a pip cache."""

    def __init__(self, source: Path, target: PipTarget, cache_dir: Path) -> None:
        self._source = source
        self._target = target
        self._cache_dir = cache_dir

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_options: Any) -> bool:
        """Bundle into ``output_dir``; ``False`` lets CDK fall back to Docker bundling
        (in ``image``)."""
        try:
            dependencies = self.dependencies_dir()
        except BundlingUnavailableError as error:
            print(f"Local bundling unavailable ({error}); trying Docker.", file=sys.stderr)
            return False
        output = Path(output_dir)
        shutil.copytree(dependencies, output, dirs_exist_ok=True)
        shutil.copytree(
            self._source,
            output / PACKAGE_NAME,
            ignore=shutil.ignore_patterns(*_IGNORED_NAMES),
            dirs_exist_ok=True,
        )
        return True

    def dependencies_dir(self) -> Path:
        """The installed dependencies for this target, from the cache or freshly by pip."""
        requirements = self._source / REQUIREMENTS_FILE
        key = hashlib.sha256(
            f"{BUNDLE_FORMAT_VERSION}|{self._target.key}|".encode() + requirements.read_bytes()
        ).hexdigest()[:20]
        cached = self._cache_dir / f"deps-{key}"
        if cached.is_dir():
            return cached
        if importlib.util.find_spec("pip") is None:
            raise BundlingUnavailableError("pip is not installed in this Python")
        self._cache_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="deps-", dir=self._cache_dir))
        self._pip_install(requirements, staging)
        # Console scripts (with this machine's interpreter in their shebang) are of no use.
        shutil.rmtree(staging / "bin", ignore_errors=True)
        try:
            staging.rename(cached)
        except OSError:  # another synth finished the same install first
            shutil.rmtree(staging, ignore_errors=True)
        return cached

    def _pip_install(self, requirements: Path, target_dir: Path) -> None:
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            "--only-binary=:all:",
            "--platform",
            self._target.platform,
            "--implementation",
            self._target.implementation,
            "--python-version",
            self._target.python_version,
            "--target",
            str(target_dir),
            "-r",
            str(requirements),
        ]
        # Fixed argument list, no shell. Output goes to stderr: stdout may carry CDK output.
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        sys.stderr.write(result.stdout)
        sys.stderr.write(result.stderr)
        if result.returncode != 0:
            shutil.rmtree(target_dir, ignore_errors=True)
            raise BundlingUnavailableError(f"pip install exited with {result.returncode}")


def _docker_command() -> list[str]:
    """Fallback: the same layout built inside the runtime's SAM build image."""
    script = " && ".join(
        (
            f"pip install --no-compile -r /asset-input/{REQUIREMENTS_FILE} -t /asset-output",
            f"mkdir -p /asset-output/{PACKAGE_NAME}",
            f"cp -R /asset-input/. /asset-output/{PACKAGE_NAME}/",
            f"find /asset-output/{PACKAGE_NAME} -name __pycache__ -prune -exec rm -rf {{}} +",
        )
    )
    return ["bash", "-c", script]


def lambda_code(runtime: lambda_.Runtime, architecture: lambda_.Architecture) -> lambda_.Code:
    """One code asset for all functions of ``runtime`` on ``architecture``."""
    source = runtime_package_dir()
    target = PipTarget.for_function(runtime, architecture)
    return lambda_.Code.from_asset(
        str(source),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=asset_hash(source, target),
        bundling=BundlingOptions(
            image=runtime.bundling_image,
            platform=architecture.docker_platform,
            command=_docker_command(),
            local=LocalPipBundling(source, target, bundle_cache_dir()),
        ),
    )
