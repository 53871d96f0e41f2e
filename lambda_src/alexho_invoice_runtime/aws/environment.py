"""Region, credentials and endpoints, from the environment Lambda (or the local stack) sets.

Resolution follows the AWS SDKs' documented settings (AWS SDKs and Tools Reference Guide,
"Service-specific endpoints" and "Standardized credential providers"):

* credentials: ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` and ``AWS_SESSION_TOKEN`` (Lambda
  sets them from the function's execution role), read on every request, so new values are used
  by the next request;
* region: ``AWS_REGION``, else ``AWS_DEFAULT_REGION``;
* endpoint of a service: ``AWS_ENDPOINT_URL_<SERVICE>``, else ``AWS_ENDPOINT_URL`` (both ignored
  when ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`` is true), else the region's public endpoint
  ``https://<service>[-fips].<region>.amazonaws.com`` (``.amazonaws.com.cn`` in China regions;
  ``-fips`` with ``AWS_USE_FIPS_ENDPOINT=true``). Partitions with other domains and dual-stack
  endpoints need the endpoint variable: they raise :class:`AwsConfigError` rather than guess.

Endpoints are resolved once per service and kept (:func:`reset` forgets them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from typing import Final

from alexho_invoice_runtime.aws.errors import AwsConfigError
from alexho_invoice_runtime.aws.sigv4 import Credentials

ENDPOINT_URL: Final = "AWS_ENDPOINT_URL"
IGNORE_CONFIGURED_ENDPOINT_URLS: Final = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"
USE_FIPS_ENDPOINT: Final = "AWS_USE_FIPS_ENDPOINT"
USE_DUALSTACK_ENDPOINT: Final = "AWS_USE_DUALSTACK_ENDPOINT"
#: Region prefixes of partitions whose domain is not ``amazonaws.com`` (nor ``.com.cn``).
_OTHER_PARTITION_PREFIXES: Final = ("us-iso", "eu-iso")


@dataclass(frozen=True)
class Service:
    """An AWS service as the layer calls it."""

    #: Suffix of its ``AWS_ENDPOINT_URL_<SERVICE>`` variable (the SDKs' service id, upper case,
    #: spaces as underscores).
    env_suffix: str
    #: Its SigV4 signing name, also its endpoint's host prefix.
    signing_name: str

    @property
    def endpoint_variable(self) -> str:
        """``AWS_ENDPOINT_URL_<SERVICE>``."""
        return f"{ENDPOINT_URL}_{self.env_suffix}"


DYNAMODB: Final = Service("DYNAMODB", "dynamodb")
SECRETS_MANAGER: Final = Service("SECRETS_MANAGER", "secretsmanager")
#: ``@connections``: its endpoint is the API's callback URL, never resolved here.
EXECUTE_API: Final = Service("APIGATEWAYMANAGEMENTAPI", "execute-api")


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() == "true"


def credentials() -> Credentials:
    """The credentials to sign with; raises :class:`AwsConfigError` without them."""
    access_key = os.environ.get("AWS_ACCESS_KEY_ID", "")
    secret_key = os.environ.get("AWS_SECRET_ACCESS_KEY", "")
    if not access_key or not secret_key:
        raise AwsConfigError("no AWS credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY unset")
    return Credentials(access_key, secret_key, os.environ.get("AWS_SESSION_TOKEN") or None)


def region() -> str:
    """``AWS_REGION``, else ``AWS_DEFAULT_REGION``; raises :class:`AwsConfigError` without."""
    name = os.environ.get("AWS_REGION", "").strip() or os.environ.get("AWS_DEFAULT_REGION", "")
    if not name.strip():
        raise AwsConfigError("no AWS region: AWS_REGION and AWS_DEFAULT_REGION are unset")
    return name.strip()


def configured_endpoint(service: Service) -> str | None:
    """``AWS_ENDPOINT_URL_<SERVICE>``, else ``AWS_ENDPOINT_URL``, else ``None``."""
    if _flag(IGNORE_CONFIGURED_ENDPOINT_URLS):
        return None
    for name in (service.endpoint_variable, ENDPOINT_URL):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def public_endpoint(service: Service, region_name: str, *, fips: bool = False) -> str:
    """The region's public endpoint of ``service``."""
    if region_name.startswith(_OTHER_PARTITION_PREFIXES):
        raise AwsConfigError(
            f"region {region_name} is outside the partitions this layer resolves: "
            f"set {service.endpoint_variable}"
        )
    domain = "amazonaws.com.cn" if region_name.startswith("cn-") else "amazonaws.com"
    host = f"{service.signing_name}-fips" if fips else service.signing_name
    return f"https://{host}.{region_name}.{domain}"


@cache
def endpoint(service: Service) -> str:
    """The URL ``service`` is called at (resolved once, see the module docstring)."""
    configured = configured_endpoint(service)
    if configured is not None:
        return configured
    if _flag(USE_DUALSTACK_ENDPOINT):
        raise AwsConfigError(
            f"{USE_DUALSTACK_ENDPOINT} is set: give the dual-stack endpoint in "
            f"{service.endpoint_variable}"
        )
    return public_endpoint(service, region(), fips=_flag(USE_FIPS_ENDPOINT))


def reset() -> None:
    """Forget the resolved endpoints (tests: changed environment variables)."""
    endpoint.cache_clear()
