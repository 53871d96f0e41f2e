"""Probe events (``probeconnectionid``): delivered to their one connection only, never recorded
for ``resume``, validated by the contract like any envelope."""

from __future__ import annotations

import pytest

from alexho_invoice_runtime.contract import (
    PROBE_CONNECTION_ATTRIBUTE,
    InvalidEventError,
    audiences_for_event,
    build_probe_event,
    encode_event,
    encode_probe_frame,
    parse_event,
    probe_connection_id,
)
from tests.runtime.conftest import AwsTables
from tests.runtime.fake_management_api import ManagementEndpoint
from tests.runtime.fanout_support import (
    add_connections,
    admin,
    customer,
    invoke,
    recorded_dynamodb_operations,
)

CHECK_CUSTOMER = "alexho-check-0a1b2c"


def test_probe_reaches_its_connection_and_nobody_else(
    aws: AwsTables, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN admins, the probe customer's own connection and another connection of that customer
    admins = add_connections(aws.connections, [admin("a1"), admin("a2")])
    target, sibling = add_connections(
        aws.connections, [customer(CHECK_CUSTOMER, "check"), customer(CHECK_CUSTOMER, "other")]
    )
    probe = build_probe_event(target, CHECK_CUSTOMER, source="alexho-realtime-check")
    # WHEN the probe is published
    totals = invoke(probe)
    # THEN only the target receives it, in a probe frame carrying the envelope unchanged
    assert management_endpoint.recipients() == [target]
    assert management_endpoint.messages_for(target) == [{"type": "probe", "event": probe}]
    assert not {*admins, sibling} & set(management_endpoint.recipients())
    assert totals["delivered"] == totals["recipients"] == 1


def test_probe_is_never_recorded_for_resume(
    aws: AwsTables, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN the probe's target connection
    [target] = add_connections(aws.connections, [customer(CHECK_CUSTOMER)])
    # WHEN a probe is delivered
    invoke(build_probe_event(target, CHECK_CUSTOMER, source="alexho-realtime-check"))
    # THEN the event log stays empty: no audience can resume it
    assert aws.event_log.scan()["Items"] == []


def test_probe_costs_one_row_read_and_no_query(
    aws: AwsTables, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN the target connection among many admins
    add_connections(aws.connections, [admin(f"a{i}") for i in range(20)])
    [target] = add_connections(aws.connections, [customer(CHECK_CUSTOMER)])
    probe = build_probe_event(target, CHECK_CUSTOMER, source="alexho-realtime-check")
    # WHEN the probe is delivered
    with recorded_dynamodb_operations() as operations:
        invoke(probe)
    # THEN the fan-out read the one row and its identity's revocations (the screen every
    # recipient passes): no audience Query, no event-log write
    assert operations == ["GetItem", "BatchGetItem"]


def test_probe_to_an_unknown_connection_is_posted_nowhere(
    aws: AwsTables, management_endpoint: ManagementEndpoint
) -> None:
    # GIVEN an admin, and a probe naming a connection id the table does not hold
    add_connections(aws.connections, [admin()])
    probe = build_probe_event("Tm90QUNvbm4=", CHECK_CUSTOMER, source="alexho-realtime-check")
    # WHEN it is delivered
    totals = invoke(probe)
    # THEN nothing is posted (an id nobody authorized never receives anything)
    assert management_endpoint.recipients() == []
    assert totals["recipients"] == 0


def test_probe_reaches_no_audience() -> None:
    # GIVEN a probe of a sent invoice (which an ordinary event would show to its customer)
    probe = build_probe_event("L0SM9cOFvHcCIhw=", CHECK_CUSTOMER, source="check")
    probe["data"]["status"] = "SENT"
    # THEN the visibility rule gives it no audience, and its connection id is readable
    assert audiences_for_event(probe) == ()
    assert probe_connection_id(probe) == "L0SM9cOFvHcCIhw="


@pytest.mark.parametrize("bad", ["", "has space", "x" * 129, 7])
def test_malformed_probe_connection_ids_are_rejected(bad: object) -> None:
    # GIVEN a probe envelope whose target is not a connection id
    probe = dict(build_probe_event("L0SM9cOFvHcCIhw=", CHECK_CUSTOMER, source="check"))
    probe[PROBE_CONNECTION_ATTRIBUTE] = bad
    # THEN the contract rejects it, naming the attribute
    with pytest.raises(InvalidEventError, match=PROBE_CONNECTION_ATTRIBUTE):
        parse_event(encode_event(probe))


def test_ordinary_events_have_no_probe_frame() -> None:
    # GIVEN an ordinary event (no probeconnectionid)
    event = build_probe_event("L0SM9cOFvHcCIhw=", CHECK_CUSTOMER, source="check")
    ordinary = {k: v for k, v in event.items() if k != PROBE_CONNECTION_ATTRIBUTE}
    # THEN it cannot be framed as a probe
    with pytest.raises(InvalidEventError):
        encode_probe_frame(ordinary)
