"""The Lambda functions the construct deploys, as the local stack runs them."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from alexho_invoice_local.functions.invocation import LambdaFunction
from alexho_invoice_local.gateway.apigw_events import DEFAULT_ROUTE
from alexho_invoice_local.gateway.server import GatewayRoutes
from alexho_invoice_local.settings import StackSettings
from alexho_invoice_runtime.definitions import FunctionBaseNames

#: API Gateway stops waiting for an integration after 29 seconds.
ROUTE_TIMEOUT_SECONDS = 29.0
FANOUT_TIMEOUT_SECONDS = 60.0


class RuntimeMissingError(ImportError):
    """A handler module of ``alexho_invoice_runtime`` cannot be imported."""


@dataclass(frozen=True)
class StackFunctions:
    """One :class:`LambdaFunction` per deployed function."""

    authorizer: LambdaFunction
    connect: LambdaFunction
    disconnect: LambdaFunction
    default: LambdaFunction
    send_invoice_update: LambdaFunction

    def all(self) -> tuple[LambdaFunction, ...]:
        """Every function."""
        return (
            self.authorizer,
            self.connect,
            self.disconnect,
            self.default,
            self.send_invoice_update,
        )

    def routes(self) -> GatewayRoutes:
        """The WebSocket API's routes (this API has ``$default`` as its only message route)."""
        return GatewayRoutes(
            authorizer=self.authorizer,
            connect=self.connect,
            disconnect=self.disconnect,
            messages={DEFAULT_ROUTE: self.default},
        )

    def check_importable(self) -> None:
        """Import every handler now, so a missing runtime fails at start, not at first use."""
        for function in self.all():
            module_name = function.handler_path.partition(":")[0]
            try:
                importlib.import_module(module_name)
            except ImportError as error:
                raise RuntimeMissingError(
                    f"cannot import {module_name} for {function.name}: {error}"
                ) from error
            function.handler()


def stack_functions(settings: StackSettings) -> StackFunctions:
    """The functions, named as the construct names them, running the runtime's handlers."""

    def function(base_name: str, module: str, timeout: float) -> LambdaFunction:
        return LambdaFunction(
            name=settings.physical_name(base_name),
            handler_path=f"alexho_invoice_runtime.handlers.{module}:handler",
            region=settings.region,
            account_id=settings.account_id,
            timeout_seconds=timeout,
        )

    return StackFunctions(
        authorizer=function(FunctionBaseNames.AUTHORIZER, "authorizer", ROUTE_TIMEOUT_SECONDS),
        connect=function(FunctionBaseNames.CONNECT, "connect", ROUTE_TIMEOUT_SECONDS),
        disconnect=function(FunctionBaseNames.DISCONNECT, "disconnect", ROUTE_TIMEOUT_SECONDS),
        default=function(FunctionBaseNames.DEFAULT, "default", ROUTE_TIMEOUT_SECONDS),
        send_invoice_update=function(
            FunctionBaseNames.SEND_INVOICE_UPDATE, "send_invoice_update", FANOUT_TIMEOUT_SECONDS
        ),
    )
