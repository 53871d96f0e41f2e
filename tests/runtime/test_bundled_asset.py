"""The AWS layer as deployed: the functions' asset, bundled as the construct bundles it (the
runtime package beside the pinned dependencies, ``alexho_invoice_realtime.bundling``), run by a
Python that sees only the asset and the standard library (no site-packages: no boto3, botocore
or urllib3 to fall back on).

The asset targets the functions' platform (arm64, the runtime's Python), so its native
``cryptography`` cannot load on another machine; the handlers run here are those that import
no PyJWT: ``$connect``, ``$disconnect`` and ``$default``, against moto's server and the
SigV4-verifying ``@connections`` endpoint.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from alexho_invoice_runtime.aws.environment import DYNAMODB
from alexho_invoice_runtime.definitions import Env
from tests.runtime.conftest import AwsTables
from tests.runtime.fake_management_api import ManagementEndpoint
from tests.runtime.test_asset_pins import asset_pins

_SCRIPT = """
import importlib.util, json, sys
from alexho_invoice_runtime.aws import clients
from alexho_invoice_runtime.handlers import connect, default, disconnect
context = {"connectionId": "bundled-1", "requestId": "r-1", "connectedAt": 1,
           "authorizer": json.loads(sys.argv[1])}
assert connect.handler({"requestContext": context}, None) == {"statusCode": 200}
ping = default.handler({"requestContext": context, "body": '{"action":"ping"}'}, None)
row = clients.connections_table().get({"connectionId": "bundled-1"})
assert disconnect.handler({"requestContext": context}, None) == {"statusCode": 200}
print(json.dumps({
    "ping": ping,
    "row": sorted(row or {}),
    "unavailable": [m for m in ("boto3", "botocore", "urllib3") if importlib.util.find_spec(m)],
    "from": sorted({m.__file__.split("/alexho_invoice_runtime/")[0]
                    for m in list(sys.modules.values())
                    if getattr(m, "__file__", None) and "/alexho_invoice_runtime/" in m.__file__}),
}))
"""


@pytest.fixture(scope="module")
def asset_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The asset as ``LocalPipBundling`` builds it for the deployed functions."""
    from alexho_invoice_realtime.bundling import (
        PACKAGE_NAME,
        LocalPipBundling,
        PipTarget,
        bundle_cache_dir,
        runtime_package_dir,
    )
    from alexho_invoice_realtime.functions import ARCHITECTURE, RUNTIME

    target = PipTarget.for_function(RUNTIME, ARCHITECTURE)
    bundling = LocalPipBundling(runtime_package_dir(), target, bundle_cache_dir())
    asset = tmp_path_factory.mktemp("asset")
    shutil.copytree(bundling.dependencies_dir(), asset, dirs_exist_ok=True)
    shutil.copytree(runtime_package_dir(), asset / PACKAGE_NAME, dirs_exist_ok=True)
    return asset


def test_the_asset_carries_exactly_the_pinned_distributions(asset_dir: Path) -> None:
    names = (path.name.removesuffix(".dist-info") for path in asset_dir.glob("*.dist-info"))
    bundled = dict(name.lower().rsplit("-", 1) for name in names)
    assert bundled == asset_pins()


def test_the_websocket_handlers_run_from_the_asset_alone(
    asset_dir: Path,
    aws: AwsTables,
    management_endpoint: ManagementEndpoint,
    moto_server_url: str,
) -> None:
    # GIVEN a Python that sees the asset and the standard library only (-I: no user site or
    # environment paths, -S: no site-packages), pointed at moto's server and @connections
    env = {
        key: value
        for key, value in os.environ.items()
        if key.startswith("AWS_") or key in (Env.CONNECTIONS_TABLE, Env.REVOCATIONS_TABLE)
    }
    env |= {
        DYNAMODB.endpoint_variable: moto_server_url,
        Env.CONNECTIONS_TABLE: aws.connections.name,
        Env.REVOCATIONS_TABLE: aws.revocations.name,
        Env.EVENT_LOG_TABLE: aws.event_log.name,
        Env.CALLBACK_URL: management_endpoint.url,
        "PYTHONPATH": "",
    }
    authorizer = {
        "sub": "admin-1",
        "userType": "ADMIN",
        "customerId": "",
        "audience": "ADMIN",
        "tokenIssuedAt": "1",
        "tokenExpiresAt": str(2**31),
    }
    code = f"import sys; sys.path.insert(0, {str(asset_dir)!r})\n" + _SCRIPT
    # WHEN $connect, $default (ping) and $disconnect run there
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code, json.dumps(authorizer)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    # THEN the row was written and read, the pong was posted (signed), the row deleted, and
    # all of it ran from the asset's own files, with no SDK anywhere in reach
    assert outcome["ping"] == {"statusCode": 200}
    assert "audience" in outcome["row"]
    assert [json.loads(body) for _, body in management_endpoint.posts] == [{"type": "pong"}]
    assert len(management_endpoint.signed_by) == 1
    assert "Item" not in aws.connections.get_item(Key={"connectionId": "bundled-1"})
    assert outcome["unavailable"] == []
    assert outcome["from"] == [str(asset_dir)]
