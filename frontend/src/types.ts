/**
 * The event contract as TypeScript types: the envelope, the five event types and the frames of
 * the WebSocket protocol. `lambda_src/alexho_invoice_runtime/contract/invoice_event.schema.json`
 * is the single source of the contract; `test/contract.test.ts` checks these against it.
 */

/** The subprotocol offered (with the token) and echoed by the server. */
export const SUBPROTOCOL = 'alexho-invoice.v1';

/** The five invoice event types (schema: `properties.type.enum`). */
export const EVENT_TYPES = [
  'INVOICE_CREATED',
  'INVOICE_UPDATED',
  'INVOICE_SENT',
  'INVOICE_PAID',
  'PAYMENT_RECORDED',
] as const;
export type InvoiceEventType = (typeof EVENT_TYPES)[number];

/** Invoice statuses (schema: `$defs.status.enum`). */
export const INVOICE_STATUSES = ['DRAFT', 'SENT', 'VIEWED', 'PARTIALLY_PAID', 'PAID', 'OVERDUE', 'VOID'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/** The envelope's required fields (schema: `required`). */
export const ENVELOPE_REQUIRED_FIELDS = [
  'specversion',
  'id',
  'source',
  'type',
  'time',
  'subject',
  'customerid',
  'data',
] as const;

/** The envelope's optional fields (the schema allows no others). */
export const ENVELOPE_OPTIONAL_FIELDS = ['datacontenttype', 'probeconnectionid'] as const;

/** `data`'s required fields (schema: `properties.data.required`). */
export const DATA_REQUIRED_FIELDS = ['invoiceId', 'customerId', 'status'] as const;

/** The schema's patterns, copied as they are (a test compares them with the schema file). */
export const PATTERNS = {
  id: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$',
  identifier: '^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$',
  time: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$',
} as const;

/** `source`'s length bounds (schema: `properties.source`). */
export const SOURCE_LENGTH = { min: 1, max: 256 } as const;

/** The invoice (or payment) fields of an event; open for any further invoice fields. */
export interface InvoiceData {
  invoiceId: string;
  customerId: string;
  status: InvoiceStatus;
  /** Monotonic per invoice when the publisher sets it; the store never applies an older one. */
  version?: number;
  [field: string]: unknown;
}

/** One invoice change, as published and delivered unchanged (CloudEvents 1.0 field names). */
export interface InvoiceEvent<T extends InvoiceEventType = InvoiceEventType> {
  specversion: '1.0';
  /** Unique event id; the client de-duplicates on it. */
  id: string;
  source: string;
  type: T;
  /** RFC 3339 time of the change. */
  time: string;
  /** The invoice id (equals `data.invoiceId`). */
  subject: string;
  /** The invoice's customer id (equals `data.customerId`). */
  customerid: string;
  datacontenttype?: 'application/json';
  /** Only on `alexho-realtime check`'s probe, which reaches that one connection; never a browser. */
  probeconnectionid?: string;
  data: InvoiceData;
}

export type InvoiceCreatedEvent = InvoiceEvent<'INVOICE_CREATED'>;
export type InvoiceUpdatedEvent = InvoiceEvent<'INVOICE_UPDATED'>;
export type InvoiceSentEvent = InvoiceEvent<'INVOICE_SENT'>;
export type InvoicePaidEvent = InvoiceEvent<'INVOICE_PAID'>;
export type PaymentRecordedEvent = InvoiceEvent<'PAYMENT_RECORDED'>;

/** Any of the five events, discriminated by `type`. */
export type AnyInvoiceEvent =
  InvoiceCreatedEvent | InvoiceUpdatedEvent | InvoiceSentEvent | InvoicePaidEvent | PaymentRecordedEvent;

// ---- Server → client frames -------------------------------------------------------------------

/** A live or replayed event; `cursor` is where a later `resume` continues from. */
export interface EventFrame {
  type: 'event';
  cursor: string;
  event: InvoiceEvent;
}

export interface PongFrame {
  type: 'pong';
}

/** A client message the server could not act on; the connection stays open. */
export interface ErrorFrame {
  type: 'error';
  code: string;
  message: string;
}

/** The end of one `resume`. */
export interface ResumeEndFrame {
  type: 'resume-end';
  /** Where to resume next. */
  cursor: string;
  count: number;
  /** The resume stopped at its batch limit: another `resume` from `cursor` brings the rest. */
  more: boolean;
  /** The position was older than the log's retention: events may be missing (refetch state). */
  truncated: boolean;
}

/** The answer to a `refresh`: the connection now lives until `expiresAt` (epoch seconds). */
export interface RefreshedFrame {
  type: 'refreshed';
  expiresAt: number;
}

export type ServerFrame = EventFrame | PongFrame | ErrorFrame | ResumeEndFrame | RefreshedFrame;

// ---- Client → server messages -----------------------------------------------------------------

export interface PingMessage {
  action: 'ping';
}

/** Replays what was recorded `after` a cursor, or `since` a time (epoch ms) when there is none yet. */
export type ResumeMessage = { action: 'resume'; after: string } | { action: 'resume'; since: number };

export interface RefreshMessage {
  action: 'refresh';
  token: string;
}

export type ClientMessage = PingMessage | ResumeMessage | RefreshMessage;
