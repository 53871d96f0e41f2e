"""One Lambda function with its own role and log group (nothing shared, nothing implicit)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from alexho_invoice_runtime.definitions import FunctionBaseNames

#: The latest Python runtime of aws-cdk-lib 2.275, on Graviton.
RUNTIME: Final = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE: Final = lambda_.Architecture.ARM_64
HANDLER_PACKAGE: Final = "alexho_invoice_runtime.handlers"


def log_group_name(function_name: str) -> str:
    """The log group Lambda writes ``function_name``'s logs to."""
    return f"/aws/lambda/{function_name}"


@dataclass(frozen=True)
class FunctionSpec:
    """What differs between the five functions."""

    construct_id: str
    base_name: str
    module: str
    description: str
    memory_size: int = 256
    timeout_seconds: int = 10

    @property
    def handler(self) -> str:
        """Handler string in the asset (``alexho_invoice_runtime.handlers.<module>.handler``)."""
        return f"{HANDLER_PACKAGE}.{self.module}.handler"


AUTHORIZER: Final = FunctionSpec(
    "AuthorizerFunction",
    FunctionBaseNames.AUTHORIZER,
    "authorizer",
    "$connect REQUEST authorizer: verifies the JWT and returns the connection's audience",
)
CONNECT: Final = FunctionSpec(
    "ConnectFunction",
    FunctionBaseNames.CONNECT,
    "connect",
    "$connect: stores the authorized connection",
)
DISCONNECT: Final = FunctionSpec(
    "DisconnectFunction",
    FunctionBaseNames.DISCONNECT,
    "disconnect",
    "$disconnect: deletes the connection",
)
DEFAULT: Final = FunctionSpec(
    "DefaultFunction",
    FunctionBaseNames.DEFAULT,
    "default",
    "$default: ping and resume from the event log",
    timeout_seconds=30,
)
SEND_INVOICE_UPDATE: Final = FunctionSpec(
    "SendInvoiceUpdateFunction",
    FunctionBaseNames.SEND_INVOICE_UPDATE,
    "send_invoice_update",
    "Fans an invoice event out to the connections of its audiences",
    memory_size=1024,
    timeout_seconds=60,
)

ALL: Final = (AUTHORIZER, CONNECT, DISCONNECT, DEFAULT, SEND_INVOICE_UPDATE)


class RealtimeFunction(Construct):
    """A function, its least-privilege role (starting with write access to its own log group
    only) and that log group with a retention, encrypted with ``log_encryption_key``."""

    def __init__(
        self,
        scope: Construct,
        spec: FunctionSpec,
        *,
        function_name: str,
        code: lambda_.Code,
        environment: Mapping[str, str],
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
        log_encryption_key: kms.IKey,
        reserved_concurrent_executions: int | None = None,
        retry_attempts: int | None = None,
        max_event_age: Duration | None = None,
        on_failure: lambda_.IDestination | None = None,
    ) -> None:
        super().__init__(scope, spec.construct_id)
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            log_group_name=log_group_name(function_name),
            retention=log_retention,
            removal_policy=removal_policy,
            encryption_key=log_encryption_key,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Execution role of {function_name}",
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=function_name,
            description=spec.description,
            code=code,
            handler=spec.handler,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            memory_size=spec.memory_size,
            timeout=Duration.seconds(spec.timeout_seconds),
            role=self.role,
            log_group=self.log_group,
            environment=dict(environment),
            reserved_concurrent_executions=reserved_concurrent_executions,
            retry_attempts=retry_attempts,
            max_event_age=max_event_age,
            on_failure=on_failure,
        )

    @property
    def default_policy(self) -> IConstruct:
        """The role's inline policy (where cdk-nag reports findings on its statements)."""
        policy = self.role.node.try_find_child("DefaultPolicy")
        if policy is None:
            raise RuntimeError(f"{self.role.node.path} has no policy yet")
        return policy
