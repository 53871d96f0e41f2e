"""Fan-out of one invoice event to every connection of its audiences (docs/architecture.md §4).

:mod:`~alexho_invoice_runtime.fanout.sns_records` reads and validates the SNS records,
:mod:`~alexho_invoice_runtime.fanout.recipients` finds connections with a paginated ``Query``
on the ``byAudience`` index, :mod:`~alexho_invoice_runtime.fanout.poster` posts a frame to
them concurrently, and
:mod:`~alexho_invoice_runtime.fanout.delivery` ties the steps together for one event.
"""
