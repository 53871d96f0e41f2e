"""A function's containers collect what their invocations leave in reference cycles, as the
stack's other processes do (``process_tuning.FullCollections``)."""

from __future__ import annotations

from alexho_invoice_local.functions.containers import ProcessContainers
from alexho_invoice_local.functions.invocation import LambdaFunction

PROBE = LambdaFunction(
    name="collection-probe",
    handler_path="tests.local.collection_probe:handler",
    region="eu-west-1",
    account_id="123456789012",
)


def test_a_container_freezes_what_it_loaded_and_collects_in_full_periodically() -> None:
    # GIVEN a warm container of a function
    containers = ProcessContainers(PROBE, {}, 1)
    containers.warm(1)
    try:
        # WHEN it is invoked
        report = containers.invoke({}, "request-1")
    finally:
        containers.close()
    # THEN what it loaded (the handler's modules among it) is frozen, out of every collection's
    # walk, and a thread of its own runs the full collections
    assert report["frozen"] > 1000
    assert "full-collections" in report["threads"]
