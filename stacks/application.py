"""Builds the CDK app: one stack per environment of the context, checked by cdk-nag."""

from __future__ import annotations

from typing import Final

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from .invoice_realtime_stack import InvoiceRealtimeStack
from .settings import AppSettings

#: Key of this app's settings in the ``cdk.json`` context.
CONTEXT_KEY: Final = "alexho-invoice-realtime"
STACK_NAME_PREFIX: Final = "AlexHoInvoiceRealtime"


def stack_name(environment: str) -> str:
    """``AlexHoInvoiceRealtime-<environment>``."""
    return f"{STACK_NAME_PREFIX}-{environment}"


def build_app(app: App) -> list[InvoiceRealtimeStack]:
    """Add every environment's stack to ``app`` and the AWS Solutions checks of cdk-nag."""
    settings = AppSettings.from_context(app.node.try_get_context(CONTEXT_KEY))
    stacks = []
    for environment in settings.environments:
        # Without account/region the stack is environment-agnostic (synth needs no credentials).
        env = (
            Environment(account=environment.account, region=environment.region)
            if environment.account or environment.region
            else None
        )
        stacks.append(
            InvoiceRealtimeStack(
                app,
                stack_name(environment.name),
                settings=environment,
                name_prefix=settings.name_prefix,
                env=env,
            )
        )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stacks
