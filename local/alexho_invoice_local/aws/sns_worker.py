"""Delivery from the topic to the fan-out function, the way Lambda's SNS trigger does it.

SNS delivers each notification to an SQS queue (moto does that itself); a poller drains the
queue and invokes the function with Lambda's SNS event, several invocations at once. A failed
invocation is retried like an asynchronous Lambda invocation (twice by default; a retry waits
for its delay without holding an invocation thread), then sent to the on-failure queue
as Lambda's on-failure destination record. A message leaves the work queue
only once it was handled or dead-lettered: nothing is dropped silently.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from alexho_invoice_local.aws.sns_events import (
    NotSnsNotificationError,
    parse_notification,
    sns_lambda_event,
)
from alexho_invoice_local.functions.invocation import InvocationError, LambdaFunction

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

LOGGER = logging.getLogger(__name__)
_MAX_BATCH = 10
#: Runs one invocation: ``(event, request id) -> result``; raises when the handler fails.
Invoke = Callable[[dict[str, Any], str], Any]


@dataclass
class DeliveryStats:
    """Counters of what the worker did (read them for tests and benchmarks)."""

    invocations: int = 0
    succeeded: int = 0
    retried: int = 0
    dead_lettered: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        """Increase counters by name."""
        with self._lock:
            for name, count in counts.items():
                setattr(self, name, getattr(self, name) + count)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and after which pauses a failed invocation is tried again."""

    retries: int = 2
    delays_seconds: Sequence[float] = (0.5, 1.0)

    def delay_before(self, retry: int) -> float:
        """Pause before retry number ``retry`` (1-based)."""
        if not self.delays_seconds:
            return 0.0
        return self.delays_seconds[min(retry, len(self.delays_seconds)) - 1]


class SnsDeliveryWorker:
    """Polls the subscription's queue and invokes ``function`` once per notification."""

    def __init__(
        self,
        sqs: SQSClient,
        queue_url: str,
        on_failure_queue_url: str,
        subscription_arn: str,
        function: LambdaFunction,
        *,
        invoke: Invoke | None = None,
        retry: RetryPolicy,
        concurrency: int = 4,
        poll_wait_seconds: int = 1,
    ) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._on_failure_url = on_failure_queue_url
        self._subscription_arn = subscription_arn
        self._function = function
        self._invoke: Invoke = invoke or function.invoke
        self._retry = retry
        self._poll_wait = poll_wait_seconds
        self._slots = threading.BoundedSemaphore(concurrency)
        self._concurrency = concurrency
        self._executor = ThreadPoolExecutor(concurrency, thread_name_prefix="fanout-invoke")
        self._stopping = threading.Event()
        self._timers: set[threading.Timer] = set()
        self._timers_lock = threading.Lock()
        self._poller = threading.Thread(target=self._poll, name="fanout-poller", daemon=True)
        self.stats = DeliveryStats()

    def start(self) -> None:
        """Start polling."""
        self._poller.start()

    def stop(self) -> None:
        """Stop polling and wait for invocations in progress (their messages stay consistent)."""
        self._stopping.set()
        with self._timers_lock:
            timers, self._timers = self._timers, set()
        for timer in timers:
            timer.cancel()
        if self._poller.is_alive():
            self._poller.join()
        self._executor.shutdown(wait=True)

    def _poll(self) -> None:
        while not self._stopping.is_set():
            self._slots.acquire()
            free = 1
            while free < _MAX_BATCH and self._slots.acquire(blocking=False):
                free += 1
            try:
                messages = self._receive(free)
            except Exception:
                LOGGER.exception("receiving from the invocation queue failed")
                messages = []
                self._stopping.wait(1.0)
            for message in messages:
                self._executor.submit(self._handle, message)
            for _ in range(free - len(messages)):
                self._slots.release()

    def _receive(self, count: int) -> list[MessageTypeDef]:
        response = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=count,
            WaitTimeSeconds=self._poll_wait,
            MessageSystemAttributeNames=["All"],
        )
        return list(response.get("Messages", []))

    def _handle(self, message: MessageTypeDef) -> None:
        try:
            try:
                notification = parse_notification(message.get("Body", ""))
            except NotSnsNotificationError as error:
                failure = InvocationError.from_exception(error)
                self._dead_letter(
                    _on_failure_record(self._function, {"sqsMessage": message}, failure, 0, "")
                )
                self._settle(message)
            else:
                event = sns_lambda_event(notification, self._subscription_arn)
                self._attempt(message, event, 1)
        except Exception:
            # The message stays in the queue and comes back after its visibility timeout.
            LOGGER.exception("could not settle message %s", message.get("MessageId"))
        finally:
            self._slots.release()

    def _attempt(self, message: MessageTypeDef, event: dict[str, Any], attempt: int) -> None:
        """One invocation: settle the message, or schedule the next attempt. A retry waits for
        its delay without holding an invocation thread, as Lambda's queued retries do."""
        attempts = 1 + max(0, self._retry.retries)
        request_id = str(uuid.uuid4())
        self.stats.add(invocations=1)
        try:
            self._invoke(event, request_id)
        except Exception as raised:
            error = (
                raised
                if isinstance(raised, InvocationError)
                else InvocationError.from_exception(raised)
            )
            LOGGER.warning(
                "%s failed (attempt %d of %d): %s",
                self._function.name,
                attempt,
                attempts,
                error.error_type,
            )
            if attempt == attempts:
                record = _on_failure_record(self._function, event, error, attempt, request_id)
                self._dead_letter(record)
                self._settle(message)
                return
            self.stats.add(retried=1)
            timer = threading.Timer(
                self._retry.delay_before(attempt), self._retry_later, (message, event, attempt + 1)
            )
            timer.daemon = True
            with self._timers_lock:
                self._timers.add(timer)
            timer.start()
        else:
            self.stats.add(succeeded=1)
            self._settle(message)

    def _retry_later(self, message: MessageTypeDef, event: dict[str, Any], attempt: int) -> None:
        with self._timers_lock:
            self._timers.discard(threading.current_thread())
        # No slot: the retry queues for one of the invocation threads (and a free container).
        try:
            if not self._stopping.is_set():
                self._executor.submit(self._run_retry, message, event, attempt)
        except RuntimeError:
            pass  # stopping: the message stays in the queue, as an invocation in flight would

    def _run_retry(self, message: MessageTypeDef, event: dict[str, Any], attempt: int) -> None:
        try:
            self._attempt(message, event, attempt)
        except Exception:
            LOGGER.exception("could not settle message %s", message.get("MessageId"))

    def _settle(self, message: MessageTypeDef) -> None:
        self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])

    def _dead_letter(self, record: dict[str, Any]) -> None:
        self._sqs.send_message(QueueUrl=self._on_failure_url, MessageBody=json.dumps(record))
        self.stats.add(dead_lettered=1)


def _on_failure_record(
    function: LambdaFunction,
    payload: dict[str, Any],
    error: InvocationError,
    attempts: int,
    request_id: str,
) -> dict[str, Any]:
    """Lambda's on-failure destination record for an asynchronous invocation."""
    return {
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"{function.arn}:$LATEST",
            "condition": "RetriesExhausted" if attempts else "NotAnSnsNotification",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": payload,
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "responsePayload": {
            "errorMessage": error.message,
            "errorType": error.error_type,
            "stackTrace": error.stack_trace,
        },
    }
