"""The event log's boto3 ``Table`` resource, until the event log moves to
:mod:`alexho_invoice_runtime.aws` (every other AWS call of the runtime already goes there).

Tests call :func:`reset`, which also resets the layer's clients.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3

from alexho_invoice_runtime import settings
from alexho_invoice_runtime.aws import clients
from alexho_invoice_runtime.definitions import Env


@cache
def dynamodb() -> Any:
    """The DynamoDB service resource."""
    return boto3.resource("dynamodb")


@cache
def event_log_table() -> Any:
    """The event-log table (``Table`` resource) named by ``Env.EVENT_LOG_TABLE``."""
    return dynamodb().Table(settings.required(Env.EVENT_LOG_TABLE))


def reset() -> None:
    """Forget every cached client (tests: a new moto session or changed env vars)."""
    for factory in (dynamodb, event_log_table):
        factory.cache_clear()
    clients.reset()
