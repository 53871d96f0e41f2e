"""The environment the Lambda handlers read (the runtime's ``definitions.Env``), set in process.

The construct sets the same variables on AWS; here they point at moto and at the local
Management API. :class:`ProcessEnvironment` restores the previous values when the stack stops.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from alexho_invoice_local.aws.clients import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY
from alexho_invoice_local.aws.resources import LocalResources
from alexho_invoice_local.settings import StackSettings
from alexho_invoice_runtime.definitions import AUTH_MODE_HS256, Env

#: Variables that would send boto3 elsewhere than moto, or to a real account.
_CLEARED = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


def lambda_environment(
    settings: StackSettings,
    resources: LocalResources,
    aws_endpoint_url: str,
    callback_url: str,
) -> dict[str, str]:
    """Variables of every handler, as the construct would set them, plus moto's endpoint."""
    variables = {
        Env.CONNECTIONS_TABLE: resources.connections_table,
        Env.EVENT_LOG_TABLE: resources.event_log_table,
        Env.REVOCATIONS_TABLE: resources.revocations_table,
        Env.CALLBACK_URL: callback_url,
        Env.AUTH_MODE: AUTH_MODE_HS256,
        Env.AUTH_SECRET_ID: resources.secret_arn,
        Env.POWERTOOLS_SERVICE_NAME: "alexho-invoice-realtime-local",
        Env.LOG_LEVEL: settings.log_level,
        Env.EVENT_RETENTION_SECONDS: str(settings.event_retention_seconds),
        Env.AWS_ENDPOINT_URL: aws_endpoint_url,
        "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_ACCESS_KEY,
        "AWS_REGION": settings.region,
        "AWS_DEFAULT_REGION": settings.region,
    }
    variables.update(settings.extra_lambda_env)
    return variables


class ProcessEnvironment:
    """Sets variables in ``os.environ`` and puts the previous values back on :meth:`restore`."""

    def __init__(self) -> None:
        self._saved: dict[str, str | None] = {}

    def apply(self, variables: Mapping[str, str]) -> None:
        """Set ``variables`` and clear those that could point boto3 at a real account."""
        for name in (*variables, *_CLEARED):
            self._saved.setdefault(name, os.environ.get(name))
        for name in _CLEARED:
            os.environ.pop(name, None)
        os.environ.update(variables)

    def restore(self) -> None:
        """Undo :meth:`apply`."""
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved.clear()
