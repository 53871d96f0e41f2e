"""Fan-out of one invoice event to every connection of its audiences (DESIGN §4).

:mod:`~lambda_src.fanout.sns_records` reads and validates the SNS records,
:mod:`~lambda_src.fanout.recipients` finds connections with a paginated ``Query`` on the
``byAudience`` index, :mod:`~lambda_src.fanout.poster` posts a frame to them concurrently, and
:mod:`~lambda_src.fanout.delivery` ties the steps together for one event.
"""
