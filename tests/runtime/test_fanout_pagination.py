"""Fan-out over several ``Query`` pages of recipients: everyone once, read by ``Query`` only."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from alexho_invoice_runtime.definitions import Env
from tests.runtime.conftest import AwsTables
from tests.runtime.fake_management_api import ManagementEndpoint
from tests.runtime.fanout_support import (
    add_connections,
    admin,
    customer,
    invoice_event,
    invoke,
    recorded_dynamodb_operations,
)
from tests.runtime.log_capture import captured_logs

ADMINS = 2500
PAGE_SIZE = 1000


def test_every_recipient_of_several_pages_receives_the_event_once(
    aws: AwsTables, management_endpoint: ManagementEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN 2,500 admin connections (three pages of 1,000) beside 300 of customers, posted by
    # 16 workers: the loopback endpoint shares this process (and its GIL) with the posters, and
    # the default 64 threads on each side starved some posts of an answer on a loaded machine
    monkeypatch.setenv(Env.FANOUT_QUERY_PAGE_SIZE, str(PAGE_SIZE))
    monkeypatch.setenv(Env.FANOUT_WORKERS, "16")
    add_connections(aws.connections, (customer(f"cust-{i % 3}") for i in range(300)))
    many_admins = add_connections(aws.connections, (admin(f"admin-{i}") for i in range(ADMINS)))
    event = invoice_event("cust-0", status="DRAFT", event_type="INVOICE_CREATED")
    # WHEN one event for admins only is delivered
    totals = invoke(event)
    # THEN each admin connection got exactly one post, and nobody else got any
    posts = Counter(cid for cid, _ in management_endpoint.posts)
    assert set(posts) == set(many_admins)
    assert set(posts.values()) == {1}
    assert (totals["recipients"], totals["delivered"], totals["failed"]) == (ADMINS, ADMINS, 0)


def test_recipients_are_read_page_by_page_with_query_never_scan(
    aws: AwsTables, management_endpoint: ManagementEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN 250 admin connections among 550 rows, read 100 per page
    monkeypatch.setenv(Env.FANOUT_QUERY_PAGE_SIZE, "100")
    add_connections(aws.connections, (customer(f"cust-{i % 3}") for i in range(300)))
    add_connections(aws.connections, (admin(f"admin-{i}") for i in range(250)))
    event = invoice_event("cust-0", status="DRAFT", event_type="INVOICE_CREATED")
    # WHEN one event for admins only is delivered
    with recorded_dynamodb_operations() as operations, captured_logs() as logs:
        invoke(event)
    # THEN the connections were read with three Query pages and no Scan, and the items read
    # equal the recipients, not the table's 550 rows
    assert "Scan" not in operations
    assert operations.count("Query") == 3
    [line] = [json.loads(x) for x in logs.getvalue().splitlines() if "fanned out" in x]
    assert (line["queries"], line["itemsRead"], line["recipients"]) == (3, 250, 250)
