"""Finding the stack to check: a deployed stack's CloudFormation outputs, or the running local
stack's state file (written by ``alexho-local up``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from botocore.exceptions import ClientError

from alexho_invoice_ops.target import CheckTarget, DeadLetterKind, DeadLetterQueue
from alexho_invoice_runtime.definitions import AUTH_MODE_HS256, StackOutputs

#: Outputs every check needs; ``AuthSecretArn`` is needed in HS256 mode only.
REQUIRED_OUTPUTS: Final = (
    StackOutputs.WEBSOCKET_URL,
    StackOutputs.TOPIC_ARN,
    StackOutputs.CONNECTIONS_TABLE,
    StackOutputs.SUBSCRIPTION_DLQ_URL,
    StackOutputs.ON_FAILURE_DLQ_URL,
    StackOutputs.FUNCTION_NAMES,
    StackOutputs.SEND_INVOICE_UPDATE_FUNCTION,
    StackOutputs.AUTH_MODE,
)
SUBSCRIPTION_DLQ_CATCHES: Final = "SNS could not invoke the fan-out function"
ON_FAILURE_DLQ_CATCHES: Final = "the fan-out function failed, retries included"


class DiscoveryError(Exception):
    """The stack cannot be found or lacks what the checks need; ``fix`` says what to do."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


@dataclass(frozen=True)
class StackFound:
    """A deployed stack and the target built from its outputs."""

    target: CheckTarget
    status: str
    outputs: int


def discover_stack(stack_name: str, cloudformation: Any) -> StackFound:
    """Read ``stack_name``'s outputs with ``DescribeStacks``; raises :class:`DiscoveryError`."""
    region = str(cloudformation.meta.region_name)
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        message = str(error.response.get("Error", {}).get("Message", ""))
        if "does not exist" in message:
            raise DiscoveryError(
                f"stack {stack_name} does not exist in {region}",
                f"deploy it (cdk deploy {stack_name}) or pass the right --stack/--region",
            ) from None
        raise
    stack = stacks[0]
    status = str(stack.get("StackStatus", "UNKNOWN"))
    outputs = {str(o["OutputKey"]): str(o["OutputValue"]) for o in stack.get("Outputs", [])}
    target = target_from_outputs(stack_name, region, outputs)
    return StackFound(target=target, status=status, outputs=len(outputs))


def target_from_outputs(stack_name: str, region: str, outputs: Mapping[str, str]) -> CheckTarget:
    """The check target of a stack with these outputs; raises :class:`DiscoveryError` when
    outputs are missing (a stack deployed before ``alexho-realtime check`` existed)."""
    missing = [key for key in REQUIRED_OUTPUTS if key not in outputs]
    auth_mode = outputs.get(StackOutputs.AUTH_MODE, "")
    if auth_mode == AUTH_MODE_HS256 and StackOutputs.AUTH_SECRET_ARN not in outputs:
        missing.append(StackOutputs.AUTH_SECRET_ARN)
    if missing:
        raise DiscoveryError(
            f"stack {stack_name} lacks the output(s) {', '.join(missing)}",
            f"redeploy it with this version (cdk deploy {stack_name}); a stack of your own "
            "must declare the outputs listed in docs/operations.md",
        )
    return CheckTarget(
        description=f"stack {stack_name} ({region})",
        region=region,
        websocket_url=outputs[StackOutputs.WEBSOCKET_URL],
        topic_arn=outputs[StackOutputs.TOPIC_ARN],
        connections_table=outputs[StackOutputs.CONNECTIONS_TABLE],
        dead_letter_queues=(
            DeadLetterQueue(
                DeadLetterKind.SUBSCRIPTION,
                outputs[StackOutputs.SUBSCRIPTION_DLQ_URL],
                SUBSCRIPTION_DLQ_CATCHES,
            ),
            DeadLetterQueue(
                DeadLetterKind.ON_FAILURE,
                outputs[StackOutputs.ON_FAILURE_DLQ_URL],
                ON_FAILURE_DLQ_CATCHES,
            ),
        ),
        function_names=tuple(
            name for name in outputs[StackOutputs.FUNCTION_NAMES].split(",") if name
        ),
        fanout_function=outputs[StackOutputs.SEND_INVOICE_UPDATE_FUNCTION],
        auth_mode=auth_mode,
        secret_arn=outputs.get(StackOutputs.AUTH_SECRET_ARN),
    )


def discover_local(state_file: Path | None = None) -> CheckTarget:
    """The running local stack, from its state file; raises :class:`DiscoveryError`."""
    try:
        from alexho_invoice_local.aws.clients import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY
        from alexho_invoice_local.endpoints import NoRunningStackError, read_state
    except ImportError:
        raise DiscoveryError(
            "the local stack is not installed",
            "pip install 'alexho-invoice-realtime[local,ops]'",
        ) from None
    try:
        endpoints = read_state(state_file)
    except NoRunningStackError as error:
        raise DiscoveryError(str(error), "start it with `alexho-local up`") from None
    return CheckTarget(
        description=f"local stack (pid {endpoints.pid}, {endpoints.websocket_url})",
        region=endpoints.region,
        websocket_url=endpoints.websocket_url,
        topic_arn=endpoints.topic_arn,
        connections_table=endpoints.connections_table,
        # Locally SNS delivers to an SQS queue that cannot fail to invoke: no subscription DLQ.
        dead_letter_queues=(
            DeadLetterQueue(
                DeadLetterKind.ON_FAILURE, endpoints.on_failure_queue_url, ON_FAILURE_DLQ_CATCHES
            ),
        ),
        function_names=(),
        fanout_function=None,
        auth_mode=AUTH_MODE_HS256,
        secret_arn=endpoints.secret_arn,
        endpoint_url=endpoints.aws_endpoint_url,
        local_credentials=(FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY),
    )
