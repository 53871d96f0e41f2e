/// <reference types="node" />
/**
 * Publishing invoice events to the SNS topic that feeds the WebSocket fan-out, with the Python
 * SDK's envelope, message attributes and batch limits (`publisher/alexho_invoice_publisher/`).
 */
import type { AwsClient } from './aws-client.js';
import { loadSns } from './aws-sdk.js';
import { awsErrorDetails, InvalidInvoiceEventError, PublishError, ServerConfigurationError } from './errors.js';
import { buildEvent, encodeEvent, type InvoiceFields } from './envelope.js';
import { DEFAULT_SOURCE, TOPIC_ARN_ENV } from './limits.js';
import { BatchPublishResult, type BatchEntryResult, type PublishFailure, type PublishResult } from './results.js';
import { messageAttributes, payloadBytes, planBatches, type StringAttribute } from './sns-message.js';
import { parseTopicArn, type TopicArn } from './topic-arn.js';
import { SOURCE_LENGTH, type InvoiceEvent, type InvoiceEventType } from '../types.js';

export interface InvoiceEventPublisherOptions {
  /** ARN of the invoice events topic (the stack output `TopicArn`). */
  topicArn: string;
  /** `source` of every envelope (default `invoice-service`). */
  source?: string;
  /** An `SNSClient` in the topic's region (default: one created on first publish). */
  sns?: AwsClient;
}

/** `eventId` (default: a new UUID) and `time` (default: now) of one event. */
export interface PublishOptions {
  eventId?: string;
  time?: Date;
}

/** One event of a {@link InvoiceEventPublisher.publishBatch} call. */
export interface BatchItem extends PublishOptions {
  type: InvoiceEventType;
  invoiceId: string;
  customerId: string;
  data: InvoiceFields;
}

interface SnsEntry {
  Id: string;
  Message: string;
  MessageAttributes: Record<string, StringAttribute>;
}

/**
 * Builds, checks and publishes invoice events. Every publish checks the envelope against the
 * contract and the frame size limit first: bad input rejects with
 * {@link InvalidInvoiceEventError} and publishes nothing; SNS failures reject with
 * {@link PublishError} carrying the AWS error code. Create one per process.
 */
export class InvoiceEventPublisher {
  readonly topic: TopicArn;
  readonly source: string;
  #sns: AwsClient | undefined;

  constructor(options: InvoiceEventPublisherOptions) {
    this.topic = parseTopicArn(options.topicArn);
    const source = options.source ?? DEFAULT_SOURCE;
    if (typeof source !== 'string' || !source.trim() || [...source].length > SOURCE_LENGTH.max) {
      throw new ServerConfigurationError(
        `source must be a non-blank string of at most ${SOURCE_LENGTH.max} characters`,
      );
    }
    this.source = source;
    this.#sns = options.sns;
  }

  /** A publisher for the topic ARN in `ALEXHO_INVOICE_TOPIC_ARN` (region from the ARN). */
  static fromEnvironment(
    options: Omit<InvoiceEventPublisherOptions, 'topicArn'> = {},
    env: Record<string, string | undefined> = process.env,
  ): InvoiceEventPublisher {
    const topicArn = parseTopicArn(env[TOPIC_ARN_ENV], TOPIC_ARN_ENV).arn;
    return new InvoiceEventPublisher({ ...options, topicArn });
  }

  /** The ARN of the topic events go to. */
  get topicArn(): string {
    return this.topic.arn;
  }

  /** Publish an `INVOICE_CREATED` event (see {@link InvoiceEventPublisher.publish}). */
  publishInvoiceCreated(
    invoiceId: string,
    customerId: string,
    data: InvoiceFields,
    options?: PublishOptions,
  ): Promise<PublishResult> {
    return this.publish('INVOICE_CREATED', invoiceId, customerId, data, options);
  }

  /** Publish an `INVOICE_UPDATED` event (see {@link InvoiceEventPublisher.publish}). */
  publishInvoiceUpdated(
    invoiceId: string,
    customerId: string,
    data: InvoiceFields,
    options?: PublishOptions,
  ): Promise<PublishResult> {
    return this.publish('INVOICE_UPDATED', invoiceId, customerId, data, options);
  }

  /** Publish an `INVOICE_SENT` event (see {@link InvoiceEventPublisher.publish}). */
  publishInvoiceSent(
    invoiceId: string,
    customerId: string,
    data: InvoiceFields,
    options?: PublishOptions,
  ): Promise<PublishResult> {
    return this.publish('INVOICE_SENT', invoiceId, customerId, data, options);
  }

  /** Publish an `INVOICE_PAID` event (see {@link InvoiceEventPublisher.publish}). */
  publishInvoicePaid(
    invoiceId: string,
    customerId: string,
    data: InvoiceFields,
    options?: PublishOptions,
  ): Promise<PublishResult> {
    return this.publish('INVOICE_PAID', invoiceId, customerId, data, options);
  }

  /** Publish an `PAYMENT_RECORDED` event (see {@link InvoiceEventPublisher.publish}). */
  publishPaymentRecorded(
    invoiceId: string,
    customerId: string,
    data: InvoiceFields,
    options?: PublishOptions,
  ): Promise<PublishResult> {
    return this.publish('PAYMENT_RECORDED', invoiceId, customerId, data, options);
  }

  /**
   * Build, check and publish one event. `data` must hold `status` (and may hold any further
   * invoice fields); `invoiceId` and `customerId` are filled in from the arguments.
   */
  async publish(
    type: InvoiceEventType,
    invoiceId: string,
    customerId: string,
    data: InvoiceFields,
    options: PublishOptions = {},
  ): Promise<PublishResult> {
    const event = this.#build({ type, invoiceId, customerId, data, ...options });
    const [sdk, sns] = await this.#client();
    let response: { MessageId?: string };
    try {
      response = (await sns.send(
        new sdk.PublishCommand({
          TopicArn: this.topic.arn,
          Message: encodeEvent(event),
          MessageAttributes: messageAttributes(event),
        }),
      )) as { MessageId?: string };
    } catch (error) {
      const { code, message } = awsErrorDetails(error);
      throw new PublishError(code, message, event.id);
    }
    return { ok: true, messageId: response.MessageId ?? '', eventId: event.id, event };
  }

  /**
   * Publish many events with SNS PublishBatch (10 per call, 256 KiB per call at most). Every item
   * is built and checked first: one invalid item rejects with {@link InvalidInvoiceEventError}
   * (with its `index`) and nothing is published. Entries SNS refuses come back as failures; call
   * `raiseForFailures()` on the result to turn them into an error.
   */
  async publishBatch(items: readonly BatchItem[]): Promise<BatchPublishResult> {
    const events = items.map((item, index) => this.#build(item, index));
    checkUniqueIds(events);
    const entries: SnsEntry[] = events.map((event, index) => ({
      Id: String(index),
      Message: encodeEvent(event),
      MessageAttributes: messageAttributes(event),
    }));
    const results = new Map<number, BatchEntryResult>();
    if (entries.length) {
      const [sdk, sns] = await this.#client();
      const sizes = entries.map((entry) => payloadBytes(entry.Message, entry.MessageAttributes));
      for (const [start, end] of planBatches(sizes)) {
        const call = entries.slice(start, end);
        const command = new sdk.PublishBatchCommand({ TopicArn: this.topic.arn, PublishBatchRequestEntries: call });
        for (const [index, result] of await batchCall(sns, command, call, events)) results.set(index, result);
      }
    }
    return new BatchPublishResult(events.map((_event, index) => results.get(index)!));
  }

  #build(item: BatchItem, index?: number): InvoiceEvent {
    if (typeof item !== 'object' || item === null)
      throw new InvalidInvoiceEventError(['$: must be a BatchItem'], index);
    return buildEvent({ ...item, source: this.source }, index);
  }

  async #client(): Promise<[Awaited<ReturnType<typeof loadSns>>, AwsClient]> {
    const sdk = await loadSns();
    this.#sns ??= new sdk.SNSClient({ region: this.topic.region });
    return [sdk, this.#sns];
  }
}

/** One PublishBatch call; every entry gets a result, keyed by its input index. */
async function batchCall(
  sns: AwsClient,
  command: object,
  entries: SnsEntry[],
  events: InvoiceEvent[],
): Promise<Map<number, BatchEntryResult>> {
  const results = new Map<number, BatchEntryResult>();
  const failure = (index: number, code: string, message: string, senderFault: boolean): PublishFailure => ({
    ok: false,
    eventId: events[index]!.id,
    event: events[index]!,
    code,
    message,
    senderFault,
  });
  let response: {
    Successful?: { Id?: string; MessageId?: string }[];
    Failed?: { Id?: string; Code?: string; Message?: string; SenderFault?: boolean }[];
  };
  try {
    response = (await sns.send(command)) as typeof response;
  } catch (error) {
    const { code, message } = awsErrorDetails(error);
    const senderFault = (error as { $fault?: unknown }).$fault === 'client';
    for (const entry of entries) results.set(Number(entry.Id), failure(Number(entry.Id), code, message, senderFault));
    return results;
  }
  for (const success of response.Successful ?? []) {
    const index = Number(success.Id);
    results.set(index, {
      ok: true,
      messageId: success.MessageId ?? '',
      eventId: events[index]!.id,
      event: events[index]!,
    });
  }
  for (const refused of response.Failed ?? []) {
    const index = Number(refused.Id);
    results.set(index, failure(index, refused.Code ?? 'Unknown', refused.Message ?? '', refused.SenderFault ?? false));
  }
  for (const entry of entries) {
    const index = Number(entry.Id);
    if (!results.has(index)) results.set(index, failure(index, 'MissingResult', 'no result', false));
  }
  return results;
}

function checkUniqueIds(events: InvoiceEvent[]): void {
  const first = new Map<string, number>();
  events.forEach((event, index) => {
    const earlier = first.get(event.id);
    if (earlier !== undefined) {
      throw new InvalidInvoiceEventError([`$.id: repeats the event id of batch item ${earlier}`], index);
    }
    first.set(event.id, index);
  });
}
