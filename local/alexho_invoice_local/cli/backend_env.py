"""``alexho-local env``: the environment that points a backend at a running local stack.

``eval "$(alexho-local env)"`` in a shell, then start the backend there: boto3 (and with it the
publisher SDK and the AWS CLI) sends every call to moto, with dummy credentials that moto
accepts, so no real AWS credentials are needed or used.
"""

from __future__ import annotations

import shlex
from typing import Final

from alexho_invoice_local.aws.clients import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY
from alexho_invoice_local.endpoints import StackEndpoints
from alexho_invoice_runtime.definitions import PUBLISHER_TOPIC_ARN_ENV

#: Settings that would mix real credentials into calls to moto.
UNSET: Final = ("AWS_PROFILE", "AWS_SESSION_TOKEN")
#: The variable the backend examples in docs/publisher.md read the signing secret's ARN from.
TOKEN_SECRET_ARN_ENV: Final = "INVOICE_TOKEN_SECRET_ARN"  # noqa: S105 - a variable name


def backend_environment(endpoints: StackEndpoints) -> dict[str, str]:
    """Variable name → value for a backend that publishes to, and mints tokens for, the stack."""
    return {
        "AWS_ENDPOINT_URL": endpoints.aws_endpoint_url,
        "AWS_REGION": endpoints.region,
        "AWS_DEFAULT_REGION": endpoints.region,
        "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_ACCESS_KEY,
        PUBLISHER_TOPIC_ARN_ENV: endpoints.topic_arn,
        TOKEN_SECRET_ARN_ENV: endpoints.secret_arn,
    }


def backend_exports(endpoints: StackEndpoints) -> str:
    """Shell lines: ``unset`` of :data:`UNSET`, then ``export NAME=value`` (quoted) of
    :func:`backend_environment`."""
    lines = [
        "# The local stack's AWS endpoint (moto) with dummy credentials; no real AWS is used.",
        f"unset {' '.join(UNSET)}",
        *(
            f"export {name}={shlex.quote(value)}"
            for name, value in backend_environment(endpoints).items()
        ),
    ]
    return "\n".join(lines)
