"""One synth of the real app (every environment of cdk.json, cdk-nag applied) per session."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template
from aws_cdk.cx_api import CloudAssembly

from alexho_invoice_realtime import AlexHoInvoiceRealtime
from alexho_invoice_realtime.bundling import PipTarget
from stacks import InvoiceRealtimeStack, build_app, stack_name

REPO_ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENTS = ("dev", "prod")
#: pip target of the construct's functions (Python 3.14 on arm64).
ARM_TARGET = PipTarget.for_function(lambda_.Runtime.PYTHON_3_14, lambda_.Architecture.ARM_64)


def cdk_json_context() -> dict[str, Any]:
    """The ``context`` of the repository's cdk.json (feature flags and environments)."""
    context: dict[str, Any] = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    return context


@dataclass(frozen=True)
class SynthesizedApp:
    """The app as ``cdk synth`` builds it, synthesized once."""

    stacks: Mapping[str, InvoiceRealtimeStack]
    assembly: CloudAssembly
    templates: Mapping[str, Template]
    template_json: Mapping[str, dict[str, Any]]

    def template_path(self, environment: str) -> Path:
        """The template file of ``environment`` in the cloud assembly."""
        return Path(self.assembly.directory) / f"{stack_name(environment)}.template.json"


@pytest.fixture(scope="session")
def synthesized_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    """Every environment, synthesized with the AWS Solutions checks (synth raises on findings)."""
    app = App(context=cdk_json_context(), outdir=str(tmp_path_factory.mktemp("cdk.out")))
    stacks = {
        stack.node.id.removeprefix("AlexHoInvoiceRealtime-"): stack for stack in build_app(app)
    }
    assembly = app.synth()
    template_json = {
        environment: assembly.get_stack_by_name(stack_name(environment)).template
        for environment in stacks
    }
    return SynthesizedApp(
        stacks=stacks,
        assembly=assembly,
        templates={name: Template.from_json(body) for name, body in template_json.items()},
        template_json=template_json,
    )


@pytest.fixture(scope="session")
def dev(synthesized_app: SynthesizedApp) -> tuple[InvoiceRealtimeStack, Template]:
    """The dev stack and its template."""
    return synthesized_app.stacks["dev"], synthesized_app.templates["dev"]


@pytest.fixture(scope="session")
def prod(synthesized_app: SynthesizedApp) -> tuple[InvoiceRealtimeStack, Template]:
    """The prod stack and its template."""
    return synthesized_app.stacks["prod"], synthesized_app.templates["prod"]


@pytest.fixture
def stack(tmp_path: Path) -> Stack:
    """An empty stack in a fresh app with the project's feature flags."""
    app = App(context=cdk_json_context(), outdir=str(tmp_path / "cdk.out"))
    return Stack(app, "TestStack")


def realtime(stack: Stack, construct_id: str = "Realtime", **props: Any) -> AlexHoInvoiceRealtime:
    """The construct with the ``test`` environment suffix unless ``props`` say otherwise."""
    props.setdefault("environment_suffix", "test")
    return AlexHoInvoiceRealtime(stack, construct_id, **props)
