"""Publish invoice events to the SNS topic that feeds the WebSocket fan-out
(docs/architecture.md §2)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from alexho_invoice_publisher.errors import (
    InvalidInvoiceEventError,
    InvoiceEventTooLargeError,
    PublisherConfigurationError,
    PublishError,
    aws_error_details,
)
from alexho_invoice_publisher.results import (
    BatchEntryResult,
    BatchPublishResult,
    PublishFailure,
    PublishResult,
)
from alexho_invoice_publisher.sns_message import (
    message_attributes,
    message_body,
    payload_bytes,
    plan_batches,
)
from alexho_invoice_publisher.topic import TopicArn
from alexho_invoice_runtime.contract import (
    EventTooLargeError,
    EventType,
    InvalidEventError,
    InvoiceEvent,
    build_event,
    schema,
)
from alexho_invoice_runtime.definitions import PUBLISHER_TOPIC_ARN_ENV

#: ``source`` of the envelopes a publisher builds unless told otherwise.
DEFAULT_SOURCE: Final = "invoice-service"
#: Environment variable ``from_environment`` reads the topic ARN from.
TOPIC_ARN_ENV: Final = PUBLISHER_TOPIC_ARN_ENV


@dataclass(frozen=True)
class BatchItem:
    """One event of a :meth:`InvoiceEventPublisher.publish_batch` call."""

    event_type: EventType | str
    invoice_id: str
    customer_id: str
    invoice_data: Mapping[str, Any]
    event_id: str | None = None
    time: datetime | None = None


class InvoiceEventPublisher:
    """Builds, validates and publishes invoice events to the invoice events SNS topic.

    Every ``publish_*`` method validates the envelope against the contract's JSON Schema and
    size limit first: bad input raises :class:`InvalidInvoiceEventError` (or
    :class:`InvoiceEventTooLargeError`) and publishes nothing. SNS failures raise
    :class:`PublishError` with the AWS error code.

    ``region`` defaults to the topic's region (SNS must be called there); an injected
    ``sns_client`` must be in that region too. Thread-safe: create one per process.
    """

    def __init__(
        self,
        *,
        topic_arn: str,
        region: str | None = None,
        source: str = DEFAULT_SOURCE,
        sns_client: Any = None,
    ) -> None:
        topic = TopicArn.parse(topic_arn)
        _check_source(source)
        if region is not None and region != topic.region:
            raise PublisherConfigurationError(
                f"region {region!r} differs from the topic's region {topic.region!r}; "
                "SNS must be called in the topic's region"
            )
        if sns_client is None:
            sns_client = boto3.client("sns", region_name=topic.region)
        elif sns_client.meta.region_name != topic.region:
            raise PublisherConfigurationError(
                f"sns_client is in region {sns_client.meta.region_name!r}, "
                f"the topic in {topic.region!r}"
            )
        self._topic = topic
        self._source = source
        self._sns = sns_client

    @classmethod
    def from_environment(
        cls,
        *,
        source: str = DEFAULT_SOURCE,
        sns_client: Any = None,
        environ: Mapping[str, str] | None = None,
    ) -> InvoiceEventPublisher:
        """A publisher for the topic ARN in ``ALEXHO_INVOICE_TOPIC_ARN`` (region from the ARN)."""
        values = os.environ if environ is None else environ
        return cls(
            topic_arn=TopicArn.parse(values.get(TOPIC_ARN_ENV), setting=TOPIC_ARN_ENV).arn,
            source=source,
            sns_client=sns_client,
        )

    @property
    def topic_arn(self) -> str:
        """The ARN of the topic events go to."""
        return self._topic.arn

    @property
    def region(self) -> str:
        """The topic's (and the SNS client's) region."""
        return self._topic.region

    @property
    def source(self) -> str:
        """The ``source`` of every envelope this publisher builds."""
        return self._source

    def publish_invoice_created(
        self,
        invoice_id: str,
        customer_id: str,
        invoice_data: Mapping[str, Any],
        *,
        event_id: str | None = None,
        time: datetime | None = None,
    ) -> PublishResult:
        """Publish an ``INVOICE_CREATED`` event."""
        return self.publish(
            EventType.INVOICE_CREATED,
            invoice_id,
            customer_id,
            invoice_data,
            event_id=event_id,
            time=time,
        )

    def publish_invoice_updated(
        self,
        invoice_id: str,
        customer_id: str,
        invoice_data: Mapping[str, Any],
        *,
        event_id: str | None = None,
        time: datetime | None = None,
    ) -> PublishResult:
        """Publish an ``INVOICE_UPDATED`` event."""
        return self.publish(
            EventType.INVOICE_UPDATED,
            invoice_id,
            customer_id,
            invoice_data,
            event_id=event_id,
            time=time,
        )

    def publish_invoice_sent(
        self,
        invoice_id: str,
        customer_id: str,
        invoice_data: Mapping[str, Any],
        *,
        event_id: str | None = None,
        time: datetime | None = None,
    ) -> PublishResult:
        """Publish an ``INVOICE_SENT`` event."""
        return self.publish(
            EventType.INVOICE_SENT,
            invoice_id,
            customer_id,
            invoice_data,
            event_id=event_id,
            time=time,
        )

    def publish_invoice_paid(
        self,
        invoice_id: str,
        customer_id: str,
        invoice_data: Mapping[str, Any],
        *,
        event_id: str | None = None,
        time: datetime | None = None,
    ) -> PublishResult:
        """Publish an ``INVOICE_PAID`` event."""
        return self.publish(
            EventType.INVOICE_PAID,
            invoice_id,
            customer_id,
            invoice_data,
            event_id=event_id,
            time=time,
        )

    def publish_payment_recorded(
        self,
        invoice_id: str,
        customer_id: str,
        invoice_data: Mapping[str, Any],
        *,
        event_id: str | None = None,
        time: datetime | None = None,
    ) -> PublishResult:
        """Publish a ``PAYMENT_RECORDED`` event."""
        return self.publish(
            EventType.PAYMENT_RECORDED,
            invoice_id,
            customer_id,
            invoice_data,
            event_id=event_id,
            time=time,
        )

    def publish(
        self,
        event_type: EventType | str,
        invoice_id: str,
        customer_id: str,
        invoice_data: Mapping[str, Any],
        *,
        event_id: str | None = None,
        time: datetime | None = None,
    ) -> PublishResult:
        """Build, validate and publish one event of ``event_type``.

        ``invoice_data`` must hold ``status`` (and may hold any further invoice fields);
        ``invoiceId``/``customerId`` are filled in from the arguments. ``event_id`` defaults to a
        new UUID, ``time`` (timezone-aware) to now.
        """
        event = self._build(
            BatchItem(event_type, invoice_id, customer_id, invoice_data, event_id, time)
        )
        try:
            response = self._sns.publish(
                TopicArn=self._topic.arn,
                Message=message_body(event),
                MessageAttributes=message_attributes(event),
            )
        except (ClientError, BotoCoreError) as error:
            raise PublishError.from_boto(error, event_id=event["id"]) from error
        return PublishResult(message_id=response["MessageId"], event_id=event["id"], event=event)

    def publish_batch(self, items: Sequence[BatchItem]) -> BatchPublishResult:
        """Publish many events with SNS PublishBatch (10 per call, 256 KiB per call at most).

        Every item is built and validated first: one invalid item raises
        :class:`InvalidInvoiceEventError` with its ``index`` and nothing is published. Entries
        SNS refuses (or whose call failed as a whole) come back as :class:`PublishFailure`; call
        :meth:`BatchPublishResult.raise_for_failures` to turn them into an exception.
        """
        events = [self._build(item, index=index) for index, item in enumerate(items)]
        _check_unique_ids(events)
        entries: list[dict[str, Any]] = []
        for index, event in enumerate(events):
            entries.append(
                {
                    "Id": str(index),
                    "Message": message_body(event),
                    "MessageAttributes": message_attributes(event),
                }
            )
        sizes = [payload_bytes(entry["Message"], entry["MessageAttributes"]) for entry in entries]
        results: dict[int, BatchEntryResult] = {}
        for batch in plan_batches(sizes):
            results.update(self._publish_batch_call([entries[i] for i in batch], events))
        return BatchPublishResult(tuple(results[index] for index in range(len(events))))

    def _publish_batch_call(
        self, entries: list[dict[str, Any]], events: list[InvoiceEvent]
    ) -> dict[int, BatchEntryResult]:
        """One PublishBatch call; every entry gets a result, keyed by its input index."""
        indexes = [int(entry["Id"]) for entry in entries]
        try:
            response = self._sns.publish_batch(
                TopicArn=self._topic.arn, PublishBatchRequestEntries=entries
            )
        except (ClientError, BotoCoreError) as error:
            code, message = aws_error_details(error)
            sender_fault = isinstance(error, ClientError) and (
                error.response.get("Error", {}).get("Type") == "Sender"
            )
            return {
                i: PublishFailure(events[i]["id"], events[i], code, message, sender_fault)
                for i in indexes
            }
        results: dict[int, BatchEntryResult] = {}
        for success in response.get("Successful", []):
            i = int(success["Id"])
            results[i] = PublishResult(success["MessageId"], events[i]["id"], events[i])
        for failure in response.get("Failed", []):
            i = int(failure["Id"])
            results[i] = PublishFailure(
                events[i]["id"],
                events[i],
                failure["Code"],
                failure.get("Message", ""),
                failure["SenderFault"],
            )
        for i in indexes:
            results.setdefault(
                i, PublishFailure(events[i]["id"], events[i], "MissingResult", "no result", False)
            )
        return results

    def _build(self, item: BatchItem, *, index: int | None = None) -> InvoiceEvent:
        """Build and validate one envelope; raise the publisher's typed errors."""
        if not isinstance(item, BatchItem):
            raise InvalidInvoiceEventError(["$: must be a BatchItem"], index=index)
        if item.event_id is not None and not item.event_id:
            raise InvalidInvoiceEventError(
                ["$.id: must not be empty (leave event_id out for a new UUID)"], index=index
            )
        if not isinstance(item.invoice_data, Mapping):
            raise InvalidInvoiceEventError(["$.data: must be a mapping"], index=index)
        if item.time is not None and (
            not isinstance(item.time, datetime) or item.time.utcoffset() is None
        ):
            raise InvalidInvoiceEventError(
                ["$.time: must be a timezone-aware datetime"], index=index
            )
        try:
            return build_event(
                item.event_type,
                item.invoice_id,
                item.customer_id,
                item.invoice_data,
                source=self._source,
                event_id=item.event_id,
                time=item.time,
            )
        except EventTooLargeError as error:
            raise InvoiceEventTooLargeError(error.problems, index=index) from None
        except InvalidEventError as error:
            raise InvalidInvoiceEventError(error.problems, index=index) from None


def _check_source(source: object) -> None:
    rule = schema()["properties"]["source"]
    if not isinstance(source, str) or not (
        rule["minLength"] <= len(source.strip()) and len(source) <= rule["maxLength"]
    ):
        raise PublisherConfigurationError(
            f"source must be a non-blank string of at most {rule['maxLength']} characters"
        )


def _check_unique_ids(events: list[InvoiceEvent]) -> None:
    first_index: dict[str, int] = {}
    for index, event in enumerate(events):
        earlier = first_index.setdefault(event["id"], index)
        if earlier != index:
            raise InvalidInvoiceEventError(
                [f"$.id: repeats the event id of batch item {earlier}"], index=index
            )
