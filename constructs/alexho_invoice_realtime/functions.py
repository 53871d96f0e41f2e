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

from .checkov import skip_check

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
    only) and that log group with a retention; its log group and its environment variables
    are encrypted with ``log_encryption_key``."""

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
            # Lambda makes a KMS grant for the role when the function is created or updated.
            environment_encryption=log_encryption_key,
            reserved_concurrent_executions=reserved_concurrent_executions,
            retry_attempts=retry_attempts,
            max_event_age=max_event_age,
            on_failure=on_failure,
        )
        self._skip_checkov_checks(
            asynchronous=on_failure is not None,
            reserved=reserved_concurrent_executions is not None,
        )

    def _skip_checkov_checks(self, *, asynchronous: bool, reserved: bool) -> None:
        skip_check(
            self.function,
            "CKV_AWS_117",
            "No VPC: the function reaches only AWS APIs (DynamoDB, Secrets Manager, API "
            "Gateway); a VPC would add NAT gateways and cold-start time for no isolation gain.",
        )
        skip_check(
            self.function,
            "CKV_AWS_116",
            "The fan-out's asynchronous failures go to its on-failure destination (an SQS "
            "queue), which supersedes a DeadLetterConfig."
            if asynchronous
            else "Invoked synchronously by API Gateway, which gets the error; a dead-letter "
            "queue only applies to asynchronous invocations.",
        )
        if not reserved:
            skip_check(
                self.function,
                "CKV_AWS_115",
                "No reserved concurrency: a reservation takes from the account's pool (a fresh "
                "account's quota can be too small to deploy) and caps the route; only the "
                "fan-out may reserve (FanOutOptions.reserved_concurrency, "
                "fanOutReservedConcurrency).",
            )

    @property
    def default_policy(self) -> IConstruct:
        """The role's inline policy (where cdk-nag reports findings on its statements)."""
        policy = self.role.node.try_find_child("DefaultPolicy")
        if policy is None:
            raise RuntimeError(f"{self.role.node.path} has no policy yet")
        return policy
