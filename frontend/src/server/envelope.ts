/// <reference types="node" />
/**
 * Building an invoice event envelope as the Python SDK does (`contract/envelope.py`): `data`
 * gets `invoiceId` and `customerId` filled in, `id` a new UUID, `time` now (UTC, milliseconds);
 * the result is checked against the schema's rules and the 128 KB frame limit.
 */
import { randomUUID } from 'node:crypto';
import { InvalidInvoiceEventError, InvoiceEventTooLargeError } from './errors.js';
import { MAX_EVENT_BYTES } from './limits.js';
import { envelopeProblems } from '../frames.js';
import type { InvoiceEvent, InvoiceEventType } from '../types.js';

/** The invoice fields of an event: `status` is required, anything JSON may follow. */
export type InvoiceFields = { status: string } & Record<string, unknown>;

export interface EventParts {
  type: InvoiceEventType;
  invoiceId: string;
  customerId: string;
  data: InvoiceFields;
  source: string;
  /** Default: a new UUID. */
  eventId?: string;
  /** Default: now. */
  time?: Date;
}

const MAX_DEPTH = 64;

/** The canonical JSON text of an envelope (compact, UTF-8 kept as is): the SNS message body. */
export function encodeEvent(event: InvoiceEvent): string {
  return JSON.stringify(event);
}

/** Build and check one envelope; throws {@link InvalidInvoiceEventError} (or the too-large one). */
export function buildEvent(parts: EventParts, index?: number): InvoiceEvent {
  const fail = (problems: string[]): never => {
    throw new InvalidInvoiceEventError(problems, index);
  };
  if (typeof parts.data !== 'object' || parts.data === null || Array.isArray(parts.data)) {
    fail(['$.data: must be an object']);
  }
  if (parts.eventId !== undefined && !parts.eventId)
    fail(['$.id: must not be empty (leave eventId out for a new UUID)']);
  const time = parts.time ?? new Date();
  if (!(time instanceof Date) || Number.isNaN(time.getTime())) fail(['$.time: must be a valid Date']);
  const data: Record<string, unknown> = { ...parts.data };
  for (const [key, value] of [
    ['invoiceId', parts.invoiceId],
    ['customerId', parts.customerId],
  ] as const) {
    if (!(key in data)) data[key] = value;
    else if (data[key] !== value) fail([`$.data.${key}: differs from the ${key} argument`]);
  }
  const jsonProblem = notJson(data, '$.data', 0);
  if (jsonProblem) fail([jsonProblem]);
  const candidate = {
    specversion: '1.0',
    id: parts.eventId ?? randomUUID(),
    source: parts.source,
    type: parts.type,
    time: time.toISOString(),
    subject: parts.invoiceId,
    customerid: parts.customerId,
    data,
  };
  const problems = envelopeProblems(candidate);
  if (problems.length) fail(problems.map((problem) => `$.${problem}`));
  const event = candidate as InvoiceEvent;
  const size = Buffer.byteLength(encodeEvent(event));
  if (size > MAX_EVENT_BYTES) {
    throw new InvoiceEventTooLargeError(
      [`$: encoded event is ${size} bytes; at most ${MAX_EVENT_BYTES} fit in one frame`],
      index,
    );
  }
  return event;
}

/** A path and rule when `value` is not plain JSON (JSON.stringify would drop or change it). */
function notJson(value: unknown, path: string, depth: number): string | undefined {
  if (depth > MAX_DEPTH) return `${path}: nested too deeply`;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${path}: not a finite number`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = notJson(value[i], `${path}[${i}]`, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  }
  if (typeof value === 'object') {
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      return `${path}: not a plain object (convert it, e.g. a Date with toISOString())`;
    }
    for (const [key, inner] of Object.entries(value)) {
      const problem = notJson(inner, `${path}.${key}`, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  }
  return `${path}: not JSON (${typeof value})`;
}
