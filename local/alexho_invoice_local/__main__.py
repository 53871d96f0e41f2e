"""``python -m alexho_invoice_local``: same as the ``alexho-local`` console script."""

import sys

from alexho_invoice_local.cli.entry_point import main

sys.exit(main())
