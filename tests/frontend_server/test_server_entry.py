"""``@alexho/invoice-realtime/server`` against the Python side: the same tokens as the Python
SDK's minter, accepted by the Python authorizer; envelopes the Python contract accepts, with the
same SNS body and attributes; and, through a running local stack, events published from Node that
the runtime's fan-out delivers to the package's client over a real WebSocket."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import pytest

from alexho_invoice_local.cli.backend_env import backend_environment
from alexho_invoice_local.endpoints import STATE_FILE_ENV, StackEndpoints
from alexho_invoice_publisher import ConnectTokenMinter
from alexho_invoice_publisher import sns_message as python_sns
from alexho_invoice_publisher import tokens as python_tokens
from alexho_invoice_runtime import definitions
from alexho_invoice_runtime.auth.config import AuthConfig
from alexho_invoice_runtime.auth.verifier import TokenVerifier
from alexho_invoice_runtime.contract import (
    EventTooLargeError,
    InvalidEventError,
    build_event,
    encode_event,
    validate_event,
)
from alexho_invoice_runtime.contract.envelope import MAX_EVENT_BYTES
from tests.frontend_server.conftest import FRONTEND, SCRIPTS, NodeApp

KEY: Final = "cross-test-signing-key-of-32-bytes!!"
NOW_SECONDS: Final = 1_796_000_000
TIME: Final = "2026-12-06T09:00:00.000Z"
#: The machine's Node.js (Debian's, 20 here), besides the virtual environment's Node.js 24.
SYSTEM_NODE: Final = "/usr/bin/node"
SYSTEM_NODE_20: Final = Path(SYSTEM_NODE).exists() and subprocess.run(
    [SYSTEM_NODE, "--version"], capture_output=True, text=True, check=False
).stdout.startswith("v20.")


def mint_in_node(node_app: NodeApp, options: dict[str, Any], *requests: dict[str, Any]) -> Any:
    """Tokens from the server entry's ``ConnectTokenMinter`` (clock fixed at ``NOW_SECONDS``)."""
    payload = {"options": {"signingKey": KEY, "nowMs": NOW_SECONDS * 1000, **options}}
    return node_app.run("mint.mjs", stdin={**payload, "requests": list(requests)})


def build_in_node(node_app: NodeApp, *cases: dict[str, Any]) -> Any:
    """Envelopes (with SNS body and attributes) or refusals from the server entry."""
    return node_app.run("build-events.mjs", stdin=list(cases))


def build_in_python(spec: dict[str, Any]) -> Any:
    """The Python SDK's envelope for the same input as :func:`build_in_node`."""
    return build_event(
        spec["type"],
        spec["invoiceId"],
        spec["customerId"],
        spec["data"],
        source=spec["source"],
        event_id=spec["eventId"],
        time=datetime.fromisoformat(spec["time"]),
    )


def case(event_type: str, data: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """One envelope to build: ``INV-1`` of ``cust-42`` unless overridden."""
    return {
        "type": event_type,
        "invoiceId": "INV-1",
        "customerId": "cust-42",
        "source": "node-backend",
        "eventId": f"evt-{event_type.lower()}",
        "time": TIME,
        "data": data,
        **overrides,
    }


def test_node_and_python_mint_the_same_tokens(node_app: NodeApp) -> None:
    # GIVEN one key, one clock and the same claim settings on both sides
    settings = {"issuer": "billing", "audience": "invoice-ws"}
    python = ConnectTokenMinter(
        signing_key=KEY, clock=lambda: NOW_SECONDS, issuer="billing", audience="invoice-ws"
    )
    # WHEN each mints a customer token, an admin token of one hour and one with a non-ASCII sub
    node = mint_in_node(
        node_app,
        settings,
        {"sub": "user-7", "userType": "CUSTOMER", "customerId": "cust-42"},
        {"sub": "admin-1", "userType": "ADMIN", "ttlSeconds": 3600},
        {"sub": "Zoë 😀\u2028", "userType": "ADMIN"},
    )
    # THEN the tokens are byte for byte the same (header, claims in order, signature)
    assert node == [
        python.mint(subject="user-7", user_type="CUSTOMER", customer_id="cust-42"),
        python.mint(subject="admin-1", user_type="ADMIN", ttl_seconds=3600),
        python.mint(subject="Zoë 😀\u2028", user_type="ADMIN"),
    ]


@pytest.mark.skipif(not SYSTEM_NODE_20, reason=f"no Node.js 20 at {SYSTEM_NODE}")
def test_node_20_mints_the_python_sdks_token_and_envelope(node_app: NodeApp) -> None:
    # GIVEN the machine's Node.js 20 (the server entry's oldest supported release)
    python = ConnectTokenMinter(signing_key=KEY, clock=lambda: NOW_SECONDS)
    request = {"sub": "user-7", "userType": "CUSTOMER", "customerId": "cust-42"}
    payload = {"options": {"signingKey": KEY, "nowMs": NOW_SECONDS * 1000}, "requests": [request]}
    spec = case("INVOICE_PAID", {"status": "PAID"})
    # WHEN the server entry mints a token and builds an envelope there
    tokens = node_app.run("mint.mjs", stdin=payload, node=SYSTEM_NODE)
    [built] = node_app.run("build-events.mjs", stdin=[spec], node=SYSTEM_NODE)
    # THEN both are the Python SDK's
    assert tokens == [python.mint(subject="user-7", user_type="CUSTOMER", customer_id="cust-42")]
    assert built["body"] == encode_event(build_in_python(spec))


def test_python_authorizer_accepts_node_tokens_with_custom_claim_names(node_app: NodeApp) -> None:
    # GIVEN an authorizer that checks issuer and audience and reads the user type from `role`
    config = AuthConfig(
        mode=definitions.AUTH_MODE_HS256,
        secret_id="unused",
        jwks_url=None,
        issuer="billing",
        audiences=("invoice-ws",),
        claim_user_type="role",
    )
    verifier = TokenVerifier(config, lambda _token: KEY)
    # WHEN the server entry mints a customer token now, with the same settings
    options = {"issuer": "billing", "audience": "invoice-ws", "claimNames": {"userType": "role"}}
    request = {"sub": "user-7", "userType": "CUSTOMER", "customerId": "cust-42"}
    [token] = mint_in_node(node_app, {**options, "nowMs": int(time.time() * 1000)}, request)
    # THEN the Python verifier accepts it with the identity the claims name
    verified = verifier.verify_token(token)
    assert (verified.identity.sub, verified.identity.audience) == ("user-7", "CUSTOMER#cust-42")
    assert verified.expires_at - verified.issued_at == python_tokens.DEFAULT_TTL_SECONDS


def test_server_entry_limits_equal_the_python_definitions(node_app: NodeApp) -> None:
    # GIVEN the constants the server entry exports
    limits = node_app.run("limits.mjs")
    # THEN each equals its Python counterpart
    assert limits == {
        "DEFAULT_TTL_SECONDS": python_tokens.DEFAULT_TTL_SECONDS,
        "MIN_TTL_SECONDS": python_tokens.MIN_TTL_SECONDS,
        "MAX_TTL_SECONDS": python_tokens.MAX_TTL_SECONDS,
        "MIN_KEY_BYTES": python_tokens.MIN_KEY_BYTES,
        "MAX_SUBJECT_LENGTH": python_tokens.MAX_SUBJECT_LENGTH,
        "DEFAULT_SECRET_CACHE_SECONDS": python_tokens.DEFAULT_SECRET_CACHE_SECONDS,
        "DEFAULT_CLAIM_NAMES": {
            "sub": definitions.DEFAULT_CLAIM_SUB,
            "userType": definitions.DEFAULT_CLAIM_USER_TYPE,
            "customerId": definitions.DEFAULT_CLAIM_CUSTOMER_ID,
        },
        "REGISTERED_CLAIMS": sorted(python_tokens._REGISTERED_CLAIMS),
        "DEFAULT_SOURCE": "invoice-service",
        "TOPIC_ARN_ENV": definitions.PUBLISHER_TOPIC_ARN_ENV,
        "TOKEN_SECRET_ARN_ENV": "INVOICE_TOKEN_SECRET_ARN",
        "MAX_MESSAGE_BYTES": definitions.MAX_MESSAGE_BYTES,
        "MAX_CURSOR_LENGTH": 96,
        "FRAME_OVERHEAD_BYTES": definitions.MAX_MESSAGE_BYTES - MAX_EVENT_BYTES,
        "MAX_EVENT_BYTES": MAX_EVENT_BYTES,
        "EVENT_TYPE_MESSAGE_ATTRIBUTE": definitions.EVENT_TYPE_MESSAGE_ATTRIBUTE,
        "CUSTOMER_ID_MESSAGE_ATTRIBUTE": definitions.CUSTOMER_ID_MESSAGE_ATTRIBUTE,
        "MAX_BATCH_ENTRIES": python_sns.MAX_BATCH_ENTRIES,
        "MAX_BATCH_PAYLOAD_BYTES": python_sns.MAX_BATCH_PAYLOAD_BYTES,
    }


def test_node_envelopes_are_what_the_python_contract_builds(node_app: NodeApp) -> None:
    # GIVEN every event type, with nested, numeric and non-ASCII invoice fields
    cases = [
        case("INVOICE_CREATED", {"status": "DRAFT", "version": 1, "total": 120.5}),
        case("INVOICE_UPDATED", {"status": "DRAFT", "lines": [{"sku": "A-1", "qty": 2}]}),
        case("INVOICE_SENT", {"status": "SENT", "note": "Grüße ✓ 請求書"}),
        case("INVOICE_PAID", {"status": "PAID", "paidAt": TIME, "flags": [True, None]}),
        case("PAYMENT_RECORDED", {"status": "PARTIALLY_PAID", "amount": 5}),
    ]
    # WHEN the server entry builds them
    built = build_in_node(node_app, *cases)
    for spec, result in zip(cases, built, strict=True):
        # THEN the Python contract accepts each SNS body as it is
        event = validate_event(json.loads(result["body"]))
        # AND the Python SDK builds the same envelope, body and attributes from the same input
        python_event = build_in_python(spec)
        assert result["event"] == event == python_event
        assert result["body"] == encode_event(python_event)
        assert result["attributes"] == python_sns.message_attributes(python_event)


def test_node_and_python_agree_on_the_frame_size_limit(node_app: NodeApp) -> None:
    # GIVEN the room left in one frame by an envelope with an empty pad
    [base] = build_in_node(node_app, case("INVOICE_SENT", {"status": "SENT", "pad": ""}))
    room = MAX_EVENT_BYTES - len(base["body"].encode())
    pad = "é" * (room // 2) + "x" * (room % 2)  # two-byte characters, then one byte if odd
    fits = case("INVOICE_SENT", {"status": "SENT", "pad": pad})
    over = case("INVOICE_SENT", {"status": "SENT", "pad": pad + "x"})
    # WHEN the server entry builds an envelope that fills it, and one a byte larger
    built_fits, built_over = build_in_node(node_app, fits, over)
    # THEN the full one is exactly at the limit and Python accepts it
    assert len(built_fits["body"].encode()) == MAX_EVENT_BYTES
    validate_event(json.loads(built_fits["body"]))
    # AND both refuse the larger one as too large
    assert built_over["refused"] == "InvoiceEventTooLargeError"
    with pytest.raises(EventTooLargeError):
        build_in_python(over)


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("unknown status", {"data": {"status": "LOST"}}),
        ("customer id with a space", {"customerId": "cust 42"}),
        ("data.invoiceId differing", {"data": {"status": "SENT", "invoiceId": "INV-2"}}),
        ("negative version", {"data": {"status": "SENT", "version": -1}}),
        ("event id too long", {"eventId": "e" * 129}),
    ],
)
def test_node_refuses_what_python_refuses(
    node_app: NodeApp, name: str, overrides: dict[str, Any]
) -> None:
    # GIVEN an event broken in one place
    spec = {**case("INVOICE_SENT", {"status": "SENT"}), **overrides}
    # WHEN the server entry builds it
    [result] = build_in_node(node_app, spec)
    # THEN it refuses it, as the Python contract does
    assert result["refused"] == "InvalidInvoiceEventError", name
    with pytest.raises(InvalidEventError):
        build_in_python(spec)


@pytest.mark.slow
def test_node_backend_publishes_an_invoice_sent_its_customer_receives(
    node_app: NodeApp, endpoints: StackEndpoints, state_file: Any
) -> None:
    # GIVEN a shell with `eval "$(alexho-local env)"` for the running stack
    shell = 'eval "$(alexho-local env)" && exec node "$0" "$@"'
    # WHEN a Node script mints a customer token and publishes an INVOICE_SENT for that customer
    # through the server entry, with the package's client connected on that token
    result = node_app.run(
        "send-invoice.mjs",
        endpoints.websocket_url,
        "cust-node",
        env={STATE_FILE_ENV: str(state_file)},
        shell=shell,
    )
    # THEN the client receives the event the publisher sent, through SNS and the fan-out
    assert result["messageId"]
    assert result["received"] == result["published"]
    assert (result["received"]["type"], result["received"]["customerid"]) == (
        "INVOICE_SENT",
        "cust-node",
    )
    assert result["received"]["source"] == "node-backend"


@pytest.mark.slow
def test_node_publish_batch_reaches_an_admin_with_every_event_type(
    node_app: NodeApp, endpoints: StackEndpoints
) -> None:
    # GIVEN one event of each type, for two customers
    items: list[dict[str, Any]] = [
        {
            "type": event_type,
            "invoiceId": f"INV-B{n}",
            "customerId": f"cust-{n % 2}",
            "data": {"status": "DRAFT" if n < 2 else "SENT", "version": n},
        }
        for n, event_type in enumerate(
            [
                "INVOICE_CREATED",
                "INVOICE_UPDATED",
                "INVOICE_SENT",
                "INVOICE_PAID",
                "PAYMENT_RECORDED",
            ]
        )
    ]
    # WHEN a Node script with the environment `alexho-local env` exports publishes them with
    # publishBatch while an admin client listens
    result = node_app.run(
        "publish-batch.mjs",
        endpoints.websocket_url,
        stdin=items,
        env=backend_environment(endpoints),
    )
    # THEN SNS took every entry and the admin received every event once
    assert result["ok"] is True
    published = {entry["eventId"]: entry["event"] for entry in result["entries"]}
    assert {event["id"]: event for event in result["received"]} == published
    assert sorted(event["type"] for event in result["received"]) == sorted(
        item["type"] for item in items
    )


@pytest.mark.slow
def test_missing_topic_and_secret_give_the_aws_error_codes(
    node_app: NodeApp, endpoints: StackEndpoints
) -> None:
    # GIVEN the stack's environment with a topic and a secret that do not exist in its moto
    environment = backend_environment(endpoints)
    environment["ALEXHO_INVOICE_TOPIC_ARN"] = endpoints.topic_arn + "-gone"
    environment["INVOICE_TOKEN_SECRET_ARN"] = endpoints.secret_arn + "-gone"
    # WHEN a Node script publishes and mints through the server entry
    result = node_app.run("aws-errors.mjs", env=environment)
    # THEN each fails with its typed error and the AWS error code as boto3 reports it
    assert (result["publish"]["error"], result["publish"]["code"]) == ("PublishError", "NotFound")
    assert (result["mint"]["error"], result["mint"]["code"]) == (
        "SigningKeyUnavailableError",
        "ResourceNotFoundException",
    )


def test_without_the_aws_sdk_only_the_calls_that_need_it_fail_and_name_it(
    tmp_path: Path,
) -> None:
    # GIVEN an app with the package copied in (dist and manifest) and no AWS SDK package
    package = tmp_path / "node_modules" / "@alexho" / "invoice-realtime"
    shutil.copytree(FRONTEND / "dist", package / "dist")
    shutil.copy(FRONTEND / "package.json", package / "package.json")
    shutil.copy(SCRIPTS / "without-aws-sdk.mjs", tmp_path)
    # WHEN a script mints with a key, publishes, and mints with a secret
    result = NodeApp(tmp_path).run("without-aws-sdk.mjs")
    # THEN minting with a key works, and the other two reject with MissingDependencyError
    assert result["mintWithKey"] == {"ok": True, "value": "token"}
    for call, package_name in (
        ("publish", "@aws-sdk/client-sns"),
        ("mintWithSecret", "@aws-sdk/client-secrets-manager"),
    ):
        assert result[call]["error"] == "MissingDependencyError"
        assert f"npm install {package_name}" in result[call]["message"]
