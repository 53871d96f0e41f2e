"""The stack's Lambda functions: the deployed handlers, imported and called in process, and the
error report of a failed invocation (what Lambda puts in an on-failure record)."""

from __future__ import annotations

import importlib
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[[dict[str, Any], Any], Any]


class InvocationError(Exception):
    """A handler raised: its error type, message and stack trace, as Lambda reports them."""

    def __init__(self, error_type: str, message: str, stack_trace: list[str]) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.stack_trace = stack_trace

    def __reduce__(self) -> tuple[type[InvocationError], tuple[str, str, list[str]]]:
        # Pickled by the constructor's arguments: ``args`` holds only the message, so the
        # default reduction could not rebuild the error in another process.
        return type(self), (self.error_type, self.message, self.stack_trace)

    @classmethod
    def from_exception(cls, error: BaseException) -> InvocationError:
        """Lambda's view of ``error`` (``errorType``, ``errorMessage``, ``stackTrace``)."""
        return cls(type(error).__name__, str(error), traceback.format_tb(error.__traceback__))


@dataclass
class LambdaContext:
    """The attributes and method of the Lambda context object that handlers use."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: float
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"local/[{self.function_version}]{self.aws_request_id[:8]}"

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's timeout."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass(frozen=True)
class LambdaFunction:
    """One function: its physical name and ``module:attribute`` of its handler."""

    name: str
    handler_path: str
    region: str
    account_id: str
    timeout_seconds: float = 30.0
    memory_mb: int = 256

    @property
    def arn(self) -> str:
        """The function's ARN, as a context object reports it."""
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.name}"

    def handler(self) -> Handler:
        """Import the handler (module-level state persists across calls, like a warm container)."""
        module_name, _, attribute = self.handler_path.partition(":")
        handler: Handler = getattr(importlib.import_module(module_name), attribute)
        return handler

    def new_context(self, request_id: str | None = None) -> LambdaContext:
        """A context object for one invocation."""
        return LambdaContext(
            function_name=self.name,
            invoked_function_arn=self.arn,
            memory_limit_in_mb=self.memory_mb,
            timeout_seconds=self.timeout_seconds,
            aws_request_id=request_id or str(uuid.uuid4()),
        )

    def invoke(self, event: dict[str, Any], request_id: str | None = None) -> Any:
        """Call the handler with ``event`` and a fresh context; exceptions propagate."""
        return self.handler()(event, self.new_context(request_id))
