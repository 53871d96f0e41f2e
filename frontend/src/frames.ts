/**
 * Parsing of server frames and validation of the envelope, following the contract's schema.
 * Problems name fields and rules, never values (a frame may carry customer data).
 */
import {
  DATA_REQUIRED_FIELDS,
  ENVELOPE_OPTIONAL_FIELDS,
  ENVELOPE_REQUIRED_FIELDS,
  EVENT_TYPES,
  INVOICE_STATUSES,
  PATTERNS,
  SOURCE_LENGTH,
  type InvoiceEvent,
  type ServerFrame,
} from './types.js';

/** What a received frame turned out to be. */
export type ParsedFrame =
  | { kind: 'frame'; frame: ServerFrame }
  /** Not JSON, not an object, or a known frame type with bad fields. */
  | { kind: 'malformed'; problem: string; cursor?: string }
  /** A frame type (or event type) this client does not know; newer servers may send them. */
  | { kind: 'unknown'; problem: string; cursor?: string };

const ID = new RegExp(PATTERNS.id);
const IDENTIFIER = new RegExp(PATTERNS.identifier);
const TIME = new RegExp(PATTERNS.time);
const ENVELOPE_FIELDS = new Set<string>([...ENVELOPE_REQUIRED_FIELDS, ...ENVELOPE_OPTIONAL_FIELDS]);
const EVENT_TYPE_SET = new Set<string>(EVENT_TYPES);
const STATUS_SET = new Set<string>(INVOICE_STATUSES);
const decoder = new TextDecoder();

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function matches(pattern: RegExp, value: unknown): boolean {
  // ECMA-262 `$` does not match before a trailing newline, as the schema requires.
  return typeof value === 'string' && pattern.test(value);
}

/**
 * The contract problems of an envelope, or an empty list when it is valid. An unknown `type`
 * is reported as `"type: unknown event type"`, which {@link parseServerFrame} treats as unknown
 * rather than malformed.
 */
export function envelopeProblems(value: unknown): string[] {
  if (!isObject(value)) return ['event: must be an object'];
  const problems: string[] = [];
  for (const field of ENVELOPE_REQUIRED_FIELDS) {
    if (!(field in value)) problems.push(`${field}: required`);
  }
  for (const field of Object.keys(value)) {
    if (!ENVELOPE_FIELDS.has(field)) problems.push(`${field}: not allowed`);
  }
  if ('specversion' in value && value.specversion !== '1.0') problems.push('specversion: must be "1.0"');
  if ('id' in value && !matches(ID, value.id)) problems.push('id: does not match the id pattern');
  if ('source' in value) {
    const source = value.source;
    if (
      typeof source !== 'string' ||
      [...source].length < SOURCE_LENGTH.min ||
      [...source].length > SOURCE_LENGTH.max
    ) {
      problems.push(`source: must be a string of ${SOURCE_LENGTH.min}-${SOURCE_LENGTH.max} characters`);
    }
  }
  if ('type' in value && !(typeof value.type === 'string' && EVENT_TYPE_SET.has(value.type))) {
    problems.push('type: unknown event type');
  }
  if ('time' in value && !matches(TIME, value.time)) problems.push('time: not an RFC 3339 time');
  if ('subject' in value && !matches(IDENTIFIER, value.subject)) problems.push('subject: not an identifier');
  if ('customerid' in value && !matches(IDENTIFIER, value.customerid)) {
    problems.push('customerid: not an identifier');
  }
  if ('datacontenttype' in value && value.datacontenttype !== 'application/json') {
    problems.push('datacontenttype: must be "application/json"');
  }
  if ('data' in value) problems.push(...dataProblems(value.data, value));
  return problems;
}

function dataProblems(data: unknown, envelope: Record<string, unknown>): string[] {
  if (!isObject(data)) return ['data: must be an object'];
  const problems: string[] = [];
  for (const field of DATA_REQUIRED_FIELDS) {
    if (!(field in data)) problems.push(`data.${field}: required`);
  }
  if ('invoiceId' in data && !matches(IDENTIFIER, data.invoiceId)) problems.push('data.invoiceId: not an identifier');
  if ('customerId' in data && !matches(IDENTIFIER, data.customerId)) {
    problems.push('data.customerId: not an identifier');
  }
  if ('status' in data && !(typeof data.status === 'string' && STATUS_SET.has(data.status))) {
    problems.push('data.status: unknown status');
  }
  if ('version' in data && !(Number.isSafeInteger(data.version) && (data.version as number) >= 0)) {
    problems.push('data.version: must be an integer >= 0');
  }
  // Beyond the schema, as the contract's description requires of every consumer.
  if (typeof data.invoiceId === 'string' && data.invoiceId !== envelope.subject) {
    problems.push('data.invoiceId: must equal subject');
  }
  if (typeof data.customerId === 'string' && data.customerId !== envelope.customerid) {
    problems.push('data.customerId: must equal customerid');
  }
  return problems;
}

/** True when `value` is a valid envelope of one of the five event types. */
export function isInvoiceEvent(value: unknown): value is InvoiceEvent {
  return envelopeProblems(value).length === 0;
}

function frameText(data: unknown): string | undefined {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return decoder.decode(data);
  if (ArrayBuffer.isView(data)) return decoder.decode(data);
  return undefined;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** Parses the data of one WebSocket message (text, or UTF-8 bytes). */
export function parseServerFrame(data: unknown): ParsedFrame {
  const text = frameText(data);
  if (text === undefined) return { kind: 'malformed', problem: 'frame: not text' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'malformed', problem: 'frame: not JSON' };
  }
  if (!isObject(value)) return { kind: 'malformed', problem: 'frame: not a JSON object' };
  switch (value.type) {
    case 'event': {
      if (!isNonEmptyString(value.cursor)) return { kind: 'malformed', problem: 'cursor: missing' };
      const cursor = value.cursor;
      const problems = envelopeProblems(value.event);
      if (problems.length === 0) return { kind: 'frame', frame: value as unknown as ServerFrame };
      const kind = problems.length === 1 && problems[0] === 'type: unknown event type' ? 'unknown' : 'malformed';
      return { kind, problem: problems.join('; '), cursor };
    }
    case 'pong':
      return { kind: 'frame', frame: { type: 'pong' } };
    case 'error':
      if (typeof value.code !== 'string') return { kind: 'malformed', problem: 'error: code missing' };
      return {
        kind: 'frame',
        frame: { type: 'error', code: value.code, message: typeof value.message === 'string' ? value.message : '' },
      };
    case 'resume-end':
      if (!isNonEmptyString(value.cursor)) return { kind: 'malformed', problem: 'resume-end: cursor missing' };
      return {
        kind: 'frame',
        frame: {
          type: 'resume-end',
          cursor: value.cursor,
          count: typeof value.count === 'number' ? value.count : 0,
          more: value.more === true,
          truncated: value.truncated === true,
        },
      };
    case 'refreshed':
      if (typeof value.expiresAt !== 'number' || !Number.isFinite(value.expiresAt)) {
        return { kind: 'malformed', problem: 'refreshed: expiresAt missing' };
      }
      return { kind: 'frame', frame: { type: 'refreshed', expiresAt: value.expiresAt } };
    default:
      return {
        kind: 'unknown',
        problem: typeof value.type === 'string' ? 'frame: unknown type' : 'frame: no type',
      };
  }
}
