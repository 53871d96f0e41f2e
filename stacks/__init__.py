"""The CDK app's thin stacks: one ``AlexHoInvoiceRealtime`` per environment of ``cdk.json``."""

from .application import CONTEXT_KEY, build_app, stack_name
from .invoice_realtime_stack import InvoiceRealtimeStack
from .settings import AppSettings, EnvironmentSettings

__all__ = [
    "CONTEXT_KEY",
    "AppSettings",
    "EnvironmentSettings",
    "InvoiceRealtimeStack",
    "build_app",
    "stack_name",
]
