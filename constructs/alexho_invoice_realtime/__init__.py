"""AlexHo Invoice Realtime: the ``AlexHoInvoiceRealtime`` CDK construct."""
