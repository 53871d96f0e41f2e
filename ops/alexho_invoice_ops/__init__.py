"""Operations tooling of AlexHo Invoice Realtime: ``alexho-realtime check``.

:mod:`alexho_invoice_ops.cli` is the command line; :mod:`alexho_invoice_ops.discovery` finds a
deployed stack (CloudFormation outputs) or the running local stack (its state file);
:mod:`alexho_invoice_ops.runner` runs the checks of :mod:`alexho_invoice_ops.checks` in order.
See ``docs/operations.md``.
"""
