"""The functions' code asset, bundled without Docker."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from aws_cdk import aws_lambda as lambda_

from alexho_invoice_realtime.bundling import (
    LocalPipBundling,
    PipTarget,
    asset_hash,
    runtime_package_dir,
)

from .conftest import ARM_TARGET, SynthesizedApp

#: ELF header: e_machine (bytes 18-19, little endian) of an aarch64 binary.
ELF_MACHINE_AARCH64 = 0xB7


@pytest.fixture(scope="module")
def asset_dir(synthesized_app: SynthesizedApp) -> Path:
    """The dev stack's Lambda asset directory in the cloud assembly."""
    functions = [
        resource
        for resource in synthesized_app.template_json["dev"]["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Function"
    ]
    key: str = functions[0]["Properties"]["Code"]["S3Key"]
    return Path(synthesized_app.assembly.directory) / f"asset.{key.removesuffix('.zip')}"


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A copy of the runtime package to modify."""
    copy = tmp_path / "alexho_invoice_runtime"
    shutil.copytree(runtime_package_dir(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def _write_requirements(source: Path, text: str) -> Path:
    source.mkdir(parents=True, exist_ok=True)
    (source / "requirements.txt").write_text(text)
    (source / "__init__.py").write_text("")
    return source


def test_asset_root_holds_the_runtime_package(asset_dir: Path) -> None:
    # GIVEN handler strings of the form alexho_invoice_runtime.handlers.<x>.handler
    # THEN the asset root holds the package with its shared definitions
    assert (asset_dir / "alexho_invoice_runtime" / "handlers" / "__init__.py").is_file()
    assert (asset_dir / "alexho_invoice_runtime" / "definitions.py").is_file()


def test_asset_bundles_pyjwt_and_cryptography(asset_dir: Path) -> None:
    assert (asset_dir / "jwt" / "__init__.py").is_file()
    assert (asset_dir / "cryptography" / "__init__.py").is_file()


def test_bundled_native_code_is_built_for_arm64(asset_dir: Path) -> None:
    # GIVEN cryptography's compiled Rust bindings in the asset
    (binding,) = (asset_dir / "cryptography" / "hazmat" / "bindings").glob("_rust*.so")
    # WHEN the ELF header is read
    header = binding.read_bytes()[:20]
    # THEN the machine is aarch64, the functions' architecture
    assert header[:4] == b"\x7fELF"
    assert int.from_bytes(header[18:20], "little") == ELF_MACHINE_AARCH64


def test_asset_carries_no_bytecode_caches_or_scripts(asset_dir: Path) -> None:
    assert list(asset_dir.rglob("__pycache__")) == []
    assert not (asset_dir / "bin").exists()


def test_pip_target_follows_runtime_and_architecture() -> None:
    x86 = PipTarget.for_function(lambda_.Runtime.PYTHON_3_13, lambda_.Architecture.X86_64)
    assert (ARM_TARGET.python_version, ARM_TARGET.platform) == ("3.14", "manylinux2014_aarch64")
    assert (x86.python_version, x86.platform) == ("3.13", "manylinux2014_x86_64")


def test_asset_hash_is_stable_for_the_same_inputs(source: Path) -> None:
    assert asset_hash(source, ARM_TARGET) == asset_hash(source, ARM_TARGET)


def test_asset_hash_changes_with_the_target_platform(source: Path) -> None:
    x86 = PipTarget.for_function(lambda_.Runtime.PYTHON_3_14, lambda_.Architecture.X86_64)
    assert asset_hash(source, ARM_TARGET) != asset_hash(source, x86)


def test_asset_hash_changes_when_handler_code_changes(source: Path) -> None:
    # GIVEN the hash of the current sources
    before = asset_hash(source, ARM_TARGET)
    # WHEN a handler module changes
    (source / "handlers" / "__init__.py").write_text('"""changed"""\n')
    # THEN the asset gets a new hash (and CDK a new S3 key)
    assert asset_hash(source, ARM_TARGET) != before


def test_asset_hash_ignores_bytecode_caches(source: Path) -> None:
    before = asset_hash(source, ARM_TARGET)
    (source / "__pycache__").mkdir(exist_ok=True)
    (source / "__pycache__" / "definitions.cpython-311.pyc").write_bytes(b"\x00")
    assert asset_hash(source, ARM_TARGET) == before


def test_installed_dependencies_are_reused_from_the_cache(tmp_path: Path) -> None:
    # GIVEN a bundler whose dependencies were installed once
    source = _write_requirements(tmp_path / "src", "")
    bundler = LocalPipBundling(source, ARM_TARGET, tmp_path / "cache")
    first = bundler.dependencies_dir()
    (first / "marker").write_text("installed once")
    # WHEN another synth asks for them
    second = bundler.dependencies_dir()
    # THEN the cached installation is returned as it is
    assert second == first
    assert (second / "marker").read_text() == "installed once"


def test_failing_pip_lets_cdk_fall_back_to_docker(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # GIVEN requirements pip cannot install
    source = _write_requirements(tmp_path / "src", "--no-such-pip-option\n")
    bundler = LocalPipBundling(source, ARM_TARGET, tmp_path / "cache")
    output = tmp_path / "out"
    output.mkdir()
    # WHEN CDK asks for local bundling
    bundled = bundler.try_bundle(str(output), image=lambda_.Runtime.PYTHON_3_14.bundling_image)
    # THEN it declines (CDK then tries Docker), leaving nothing half-done behind
    assert bundled is False
    assert list(output.iterdir()) == []
    assert list((tmp_path / "cache").iterdir()) == []
    # AND pip's complaint went to stderr, keeping stdout clean for CDK
    captured = capfd.readouterr()
    assert captured.out == ""
    assert "no-such-pip-option" in captured.err
