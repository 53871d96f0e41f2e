/**
 * `InvoiceEventPublisher` of `@alexho/invoice-realtime/server`: envelopes the JSON Schema accepts
 * (Ajv, draft 2020-12), the frame size limit, the SNS message attributes, PublishBatch planning
 * and the errors. SNS is a stand-in that answers the real SDK commands here;
 * `tests/frontend_server/` publishes to moto's SNS and through the local stack's fan-out.
 */
import { readFileSync } from 'node:fs';
import { PublishBatchCommand, PublishCommand } from '@aws-sdk/client-sns';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import {
  InvalidInvoiceEventError,
  InvoiceEventPublisher,
  InvoiceEventTooLargeError,
  MAX_EVENT_BYTES,
  PublishError,
  ServerConfigurationError,
  type AwsClient,
  type BatchItem,
} from '../src/server/index.js';
import { EVENT_TYPES } from '../src/types.js';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:alexHoInvoiceEvents-dev';
const schema = JSON.parse(
  readFileSync(
    new URL('../../lambda_src/alexho_invoice_runtime/contract/invoice_event.schema.json', import.meta.url),
    'utf-8',
  ),
);
const validate = new Ajv2020({ strict: false, validateFormats: false }).compile(schema);

/** A stand-in for SNS: records each command's input; entries listed in `refuse` fail. */
class SnsStandIn implements AwsClient {
  readonly published: Record<string, unknown>[] = [];
  readonly batches: { PublishBatchRequestEntries: { Id: string; Message: string }[] }[] = [];
  constructor(
    readonly refuse = new Set<string>(),
    readonly failWith?: Error,
  ) {}
  async send(command: object): Promise<unknown> {
    if (this.failWith) throw this.failWith;
    if (command instanceof PublishCommand) {
      this.published.push({ ...command.input });
      return { MessageId: `msg-${this.published.length}` };
    }
    expect(command).toBeInstanceOf(PublishBatchCommand);
    const input = (command as PublishBatchCommand).input as (typeof this.batches)[number];
    this.batches.push(input);
    const ids = input.PublishBatchRequestEntries.map((entry) => entry.Id);
    return {
      Successful: ids.filter((id) => !this.refuse.has(id)).map((id) => ({ Id: id, MessageId: `msg-${id}` })),
      Failed: ids
        .filter((id) => this.refuse.has(id))
        .map((id) => ({ Id: id, Code: 'InvalidParameter', SenderFault: true })),
    };
  }
}

describe('InvoiceEventPublisher.publish*', () => {
  it('GIVEN each of the five methods WHEN called THEN SNS gets a schema-valid body and the two String attributes', async () => {
    const sns = new SnsStandIn();
    const publisher = new InvoiceEventPublisher({ topicArn: TOPIC, sns, source: 'billing' });
    const results = [
      await publisher.publishInvoiceCreated('INV-1', 'cust-42', { status: 'DRAFT', total: '10.00', version: 1 }),
      await publisher.publishInvoiceUpdated('INV-1', 'cust-42', { status: 'DRAFT', lines: [{ sku: 'A', qty: 2 }] }),
      await publisher.publishInvoiceSent('INV-1', 'cust-42', { status: 'SENT', note: 'Grüße ✓' }),
      await publisher.publishInvoicePaid('INV-1', 'cust-42', { status: 'PAID' }),
      await publisher.publishPaymentRecorded('INV-1', 'cust-42', { status: 'PARTIALLY_PAID', amount: 5 }),
    ];
    expect(sns.published.map((input) => JSON.parse(input.Message as string).type)).toEqual([...EVENT_TYPES]);
    for (const [index, input] of sns.published.entries()) {
      const body = JSON.parse(input.Message as string);
      expect(validate(body)).toBe(true);
      expect(body).toMatchObject({ specversion: '1.0', source: 'billing', subject: 'INV-1', customerid: 'cust-42' });
      expect(body.data).toMatchObject({ invoiceId: 'INV-1', customerId: 'cust-42' });
      expect(body.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(input).toMatchObject({
        TopicArn: TOPIC,
        MessageAttributes: {
          eventType: { DataType: 'String', StringValue: body.type },
          customerId: { DataType: 'String', StringValue: 'cust-42' },
        },
      });
      expect(results[index]).toMatchObject({ ok: true, messageId: `msg-${index + 1}`, eventId: body.id, event: body });
    }
  });

  it('GIVEN an event id and a time WHEN published THEN the envelope carries them, the time in UTC with milliseconds', async () => {
    const sns = new SnsStandIn();
    const publisher = new InvoiceEventPublisher({ topicArn: TOPIC, sns });
    const result = await publisher.publishInvoiceSent(
      'INV-2',
      'cust-1',
      { status: 'SENT' },
      { eventId: 'evt-7', time: new Date('2026-12-06T10:00:00+01:00') },
    );
    expect(result.event).toMatchObject({ id: 'evt-7', time: '2026-12-06T09:00:00.000Z', source: 'invoice-service' });
  });

  it.each([
    ['no status', { total: 1 }, '$.data.status: required'],
    ['an unknown status', { status: 'LOST' }, '$.data.status: unknown status'],
    [
      'another invoiceId in data',
      { status: 'SENT', invoiceId: 'INV-9' },
      '$.data.invoiceId: differs from the invoiceId argument',
    ],
    ['a NaN', { status: 'SENT', total: Number.NaN }, '$.data.total: not a finite number'],
    ['a Date', { status: 'SENT', due: new Date() }, '$.data.due: not a plain object'],
    ['a negative version', { status: 'SENT', version: -1 }, '$.data.version: must be an integer >= 0'],
  ])(
    'GIVEN data with %s WHEN published THEN InvalidInvoiceEventError names the path and nothing is sent',
    async (_name, data, problem) => {
      const sns = new SnsStandIn();
      const publishing = new InvoiceEventPublisher({ topicArn: TOPIC, sns }).publishInvoiceSent(
        'INV-1',
        'cust-1',
        data as never,
      );
      const error = await publishing.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidInvoiceEventError);
      expect((error as InvalidInvoiceEventError).problems.join('; ')).toContain(problem);
      expect(sns.published).toEqual([]);
    },
  );

  it('GIVEN a malformed customer id WHEN published THEN the problem names the field, never the value', async () => {
    const publishing = new InvoiceEventPublisher({ topicArn: TOPIC, sns: new SnsStandIn() }).publishInvoiceSent(
      'INV-1',
      'secret customer',
      { status: 'SENT' },
    );
    const error = await publishing.catch((e: Error) => e);
    expect(String(error)).toContain('customerid: not an identifier');
    expect(String(error)).not.toContain('secret customer');
  });

  it('GIVEN an envelope of exactly the frame budget WHEN published THEN it goes; one byte more is too large', async () => {
    const sns = new SnsStandIn();
    const publisher = new InvoiceEventPublisher({ topicArn: TOPIC, sns });
    const options = { eventId: 'evt-size', time: new Date('2026-12-06T09:00:00Z') };
    const base = (
      await publisher.publishInvoiceSent(
        'INV-1',
        'cust-1',
        { status: 'SENT', pad: '' },
        { ...options, eventId: 'evt-base' },
      )
    ).event;
    const room = MAX_EVENT_BYTES - Buffer.byteLength(JSON.stringify(base));
    const fits = await publisher.publishInvoiceSent(
      'INV-1',
      'cust-1',
      { status: 'SENT', pad: 'x'.repeat(room) },
      options,
    );
    expect(Buffer.byteLength(sns.published.at(-1)!.Message as string)).toBe(MAX_EVENT_BYTES);
    expect(fits.ok).toBe(true);
    const tooLarge = publisher.publishInvoiceSent(
      'INV-1',
      'cust-1',
      { status: 'SENT', pad: 'x'.repeat(room + 1) },
      options,
    );
    await expect(tooLarge).rejects.toBeInstanceOf(InvoiceEventTooLargeError);
    expect(sns.published).toHaveLength(2);
  });

  it('GIVEN SNS refusing WHEN published THEN PublishError carries the AWS code and the event id', async () => {
    const refusal = Object.assign(new Error('Topic does not exist'), { name: 'NotFoundException' });
    const publishing = new InvoiceEventPublisher({
      topicArn: TOPIC,
      sns: new SnsStandIn(new Set(), refusal),
    }).publishInvoicePaid('INV-1', 'cust-1', { status: 'PAID' }, { eventId: 'evt-9' });
    const error = (await publishing.catch((e: unknown) => e)) as PublishError;
    expect(error).toBeInstanceOf(PublishError);
    expect([error.code, error.eventId]).toEqual(['NotFoundException', 'evt-9']);
  });
});

describe('InvoiceEventPublisher.publishBatch', () => {
  const item = (n: number, extra: Partial<BatchItem> = {}): BatchItem => ({
    type: 'INVOICE_UPDATED',
    invoiceId: `INV-${n}`,
    customerId: 'cust-1',
    data: { status: 'DRAFT', version: n },
    ...extra,
  });

  it('GIVEN 23 events WHEN published THEN PublishBatch gets calls of 10, 10 and 3, results in input order', async () => {
    const sns = new SnsStandIn();
    const result = await new InvoiceEventPublisher({ topicArn: TOPIC, sns }).publishBatch(
      Array.from({ length: 23 }, (_, n) => item(n)),
    );
    expect(sns.batches.map((batch) => batch.PublishBatchRequestEntries.length)).toEqual([10, 10, 3]);
    expect(result.ok).toBe(true);
    expect(result.entries.map((entry) => entry.event.subject)).toEqual(
      Array.from({ length: 23 }, (_, n) => `INV-${n}`),
    );
  });

  it('GIVEN entries over 256 KiB together WHEN published THEN the calls are split by size', async () => {
    const sns = new SnsStandIn();
    const big = (n: number) => item(n, { data: { status: 'DRAFT', pad: 'x'.repeat(100_000) } });
    await new InvoiceEventPublisher({ topicArn: TOPIC, sns }).publishBatch([big(1), big(2), big(3)]);
    expect(sns.batches.map((batch) => batch.PublishBatchRequestEntries.map((entry) => entry.Id))).toEqual([
      ['0', '1'],
      ['2'],
    ]);
  });

  it('GIVEN one invalid item WHEN published THEN nothing is sent and the error has its index', async () => {
    const sns = new SnsStandIn();
    const publishing = new InvoiceEventPublisher({ topicArn: TOPIC, sns }).publishBatch([
      item(1),
      item(2, { data: { status: 'NOPE' } as never }),
    ]);
    const error = (await publishing.catch((e: unknown) => e)) as InvalidInvoiceEventError;
    expect([error.index, error.message]).toEqual([
      1,
      'batch item 1: invalid invoice event: $.data.status: unknown status',
    ]);
    expect(sns.batches).toEqual([]);
  });

  it('GIVEN two items with one event id WHEN published THEN the second is refused before sending', async () => {
    const sns = new SnsStandIn();
    const publishing = new InvoiceEventPublisher({ topicArn: TOPIC, sns }).publishBatch([
      item(1, { eventId: 'evt-1' }),
      item(2, { eventId: 'evt-1' }),
    ]);
    await expect(publishing).rejects.toThrow(
      'batch item 1: invalid invoice event: $.id: repeats the event id of batch item 0',
    );
    expect(sns.batches).toEqual([]);
  });

  it('GIVEN SNS refusing one entry WHEN published THEN that entry is a failure and raiseForFailures throws', async () => {
    const result = await new InvoiceEventPublisher({
      topicArn: TOPIC,
      sns: new SnsStandIn(new Set(['1'])),
    }).publishBatch([item(1), item(2), item(3)]);
    expect(result.entries.map((entry) => entry.ok)).toEqual([true, false, true]);
    expect(result.failed[0]).toMatchObject({
      code: 'InvalidParameter',
      senderFault: true,
      eventId: result.entries[1]!.eventId,
    });
    expect(() => result.raiseForFailures()).toThrow(/1 batch entry failed \(InvalidParameter\)/);
  });
});

describe('InvoiceEventPublisher configuration', () => {
  it.each([
    ['no topic', {}, /ALEXHO_INVOICE_TOPIC_ARN is missing/],
    ['a queue ARN', { ALEXHO_INVOICE_TOPIC_ARN: 'arn:aws:sqs:eu-west-1:123456789012:q' }, /is not an SNS topic ARN/],
  ])('GIVEN %s WHEN fromEnvironment() THEN ServerConfigurationError names the variable', (_name, env, message) => {
    expect(() => InvoiceEventPublisher.fromEnvironment({}, env)).toThrow(ServerConfigurationError);
    expect(() => InvoiceEventPublisher.fromEnvironment({}, env)).toThrow(message);
  });

  it('GIVEN a topic ARN WHEN fromEnvironment() THEN the publisher targets it and its region', () => {
    const publisher = InvoiceEventPublisher.fromEnvironment({}, { ALEXHO_INVOICE_TOPIC_ARN: TOPIC });
    expect([publisher.topicArn, publisher.topic.region]).toEqual([TOPIC, 'eu-west-1']);
  });

  it('GIVEN a blank source WHEN a publisher is created THEN it is refused', () => {
    expect(() => new InvoiceEventPublisher({ topicArn: TOPIC, source: ' ' })).toThrow(
      /source must be a non-blank string/,
    );
  });
});
