/**
 * The TypeScript contract against `invoice_event.schema.json`, the single source of the contract:
 * the constants behind the types equal the schema's, and the client's envelope check agrees with
 * a reference JSON Schema validator (Ajv, draft 2020-12) on valid envelopes and broken ones.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { envelopeProblems, isInvoiceEvent } from '../src/frames.js';
import {
  DATA_REQUIRED_FIELDS,
  ENVELOPE_OPTIONAL_FIELDS,
  ENVELOPE_REQUIRED_FIELDS,
  EVENT_TYPES,
  INVOICE_STATUSES,
  PATTERNS,
  SOURCE_LENGTH,
  type InvoiceEvent,
} from '../src/types.js';
import { makeEvent } from './support/protocol-server.js';

const SCHEMA_PATH = new URL(
  '../../lambda_src/alexho_invoice_runtime/contract/invoice_event.schema.json',
  import.meta.url,
);
const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf-8'));
const ajv = new Ajv2020({ strict: false, validateFormats: false });
const validate = ajv.compile(schema);

/** What the schema says (formats are annotations, as in the runtime's validator), plus the two cross-field rules its description requires. */
function referenceAccepts(value: unknown): boolean {
  if (!validate(value)) return false;
  const event = value as InvoiceEvent;
  return event.data.invoiceId === event.subject && event.data.customerId === event.customerid;
}

describe('types and constants', () => {
  it('lists the schema event types, statuses and fields', () => {
    expect([...EVENT_TYPES]).toEqual(schema.properties.type.enum);
    expect([...INVOICE_STATUSES]).toEqual(schema.$defs.status.enum);
    expect([...ENVELOPE_REQUIRED_FIELDS]).toEqual(schema.required);
    expect([...ENVELOPE_REQUIRED_FIELDS, ...ENVELOPE_OPTIONAL_FIELDS].sort()).toEqual(
      Object.keys(schema.properties).sort(),
    );
    expect([...DATA_REQUIRED_FIELDS]).toEqual(schema.properties.data.required);
    expect(schema.additionalProperties).toBe(false);
  });

  it('copies the schema patterns and bounds exactly', () => {
    expect(PATTERNS.id).toBe(schema.properties.id.pattern);
    expect(PATTERNS.identifier).toBe(schema.$defs.identifier.pattern);
    expect(PATTERNS.time).toBe(schema.properties.time.pattern);
    expect(SOURCE_LENGTH).toEqual({ min: schema.properties.source.minLength, max: schema.properties.source.maxLength });
    expect(schema.properties.specversion.const).toBe('1.0');
    expect(schema.properties.datacontenttype.const).toBe('application/json');
    expect(schema.properties.data.properties.version).toEqual({ type: 'integer', minimum: 0 });
  });
});

/** One change that breaks (or keeps) an envelope, each touching one place. */
const MUTATIONS: [string, (event: Record<string, unknown> & { data: Record<string, unknown> }) => void][] = [
  ['as is', () => undefined],
  ['with datacontenttype', (e) => void (e.datacontenttype = 'application/json')],
  ['bad datacontenttype', (e) => void (e.datacontenttype = 'text/plain')],
  ['extra field', (e) => void (e.extra = 1)],
  ['extra data field', (e) => void (e.data.total = '12.00')],
  ['version 0', (e) => void (e.data.version = 0)],
  ['version -1', (e) => void (e.data.version = -1)],
  ['version 1.5', (e) => void (e.data.version = 1.5)],
  ['version "2"', (e) => void (e.data.version = '2')],
  ['unknown type', (e) => void (e.type = 'INVOICE_VOIDED')],
  ['unknown status', (e) => void (e.data.status = 'LOST')],
  ['specversion 2', (e) => void (e.specversion = '2.0')],
  ['empty id', (e) => void (e.id = '')],
  ['id with space', (e) => void (e.id = 'a b')],
  ['id of 129 chars', (e) => void (e.id = 'a'.repeat(129))],
  ['id with @', (e) => void (e.id = 'a@b')],
  [
    'subject with @',
    (e) => {
      e.subject = 'INV@1';
      e.data.invoiceId = 'INV@1';
    },
  ],
  [
    'trailing newline in subject',
    (e) => {
      e.subject = 'INV-1\n';
      e.data.invoiceId = 'INV-1\n';
    },
  ],
  ['empty source', (e) => void (e.source = '')],
  ['source of 256 chars', (e) => void (e.source = 's'.repeat(256))],
  ['source of 257 chars', (e) => void (e.source = 's'.repeat(257))],
  ['time without zone', (e) => void (e.time = '2026-12-03T09:00:00')],
  ['time with offset and nanos', (e) => void (e.time = '2026-12-03T09:00:00.123456789+01:00')],
  ['time as number', (e) => void (e.time = 1)],
  ['no data', (e) => void delete (e as Record<string, unknown>).data],
  ['data is array', (e) => void ((e as Record<string, unknown>).data = [])],
  ['no data.status', (e) => void delete e.data.status],
  ['no customerid', (e) => void delete e.customerid],
  ['subject differs from invoiceId', (e) => void (e.subject = 'INV-99')],
  ['customerid differs from customerId', (e) => void (e.customerid = 'cust-99')],
];

describe('envelope check', () => {
  it.each(MUTATIONS)('agrees with the JSON Schema validator: %s', (_name, mutate) => {
    const event = structuredClone(makeEvent({ data: { version: 3 } })) as unknown as Record<string, unknown> & {
      data: Record<string, unknown>;
    };
    mutate(event);
    expect(isInvoiceEvent(event)).toBe(referenceAccepts(event));
  });

  it('accepts every event type and status', () => {
    for (const type of EVENT_TYPES) {
      for (const status of INVOICE_STATUSES) {
        const event = makeEvent({ type, data: { status } });
        expect(referenceAccepts(event)).toBe(true);
        expect(envelopeProblems(event)).toEqual([]);
      }
    }
  });

  it('names the field and rule, never the value', () => {
    const event = { ...makeEvent(), id: 'secret value with spaces' };
    expect(envelopeProblems(event)).toEqual(['id: does not match the id pattern']);
  });
});
