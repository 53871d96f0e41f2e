/// <reference types="node" />
/** An event as an SNS message: body, message attributes, and the PublishBatch limits. */
import {
  CUSTOMER_ID_MESSAGE_ATTRIBUTE,
  EVENT_TYPE_MESSAGE_ATTRIBUTE,
  MAX_BATCH_ENTRIES,
  MAX_BATCH_PAYLOAD_BYTES,
} from './limits.js';
import type { InvoiceEvent } from '../types.js';

/** An SNS `MessageAttributeValue` of type String. */
export interface StringAttribute {
  DataType: 'String';
  StringValue: string;
}

/** The `eventType` and `customerId` String attributes that filter policies select on. */
export function messageAttributes(event: InvoiceEvent): Record<string, StringAttribute> {
  return {
    [EVENT_TYPE_MESSAGE_ATTRIBUTE]: { DataType: 'String', StringValue: event.type },
    [CUSTOMER_ID_MESSAGE_ATTRIBUTE]: { DataType: 'String', StringValue: event.customerid },
  };
}

/** Bytes SNS counts for a message: its body plus each attribute's name, type and value. */
export function payloadBytes(body: string, attributes: Record<string, StringAttribute>): number {
  let size = Buffer.byteLength(body);
  for (const [name, value] of Object.entries(attributes)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(value.DataType) + Buffer.byteLength(value.StringValue);
  }
  return size;
}

/**
 * Split entries of the given sizes, in order, into PublishBatch calls within both limits (as
 * `[start, end)` index pairs). An entry larger than `maxBytes` on its own gets a call of its own.
 */
export function planBatches(
  sizes: readonly number[],
  maxEntries = MAX_BATCH_ENTRIES,
  maxBytes = MAX_BATCH_PAYLOAD_BYTES,
): [number, number][] {
  const batches: [number, number][] = [];
  let start = 0;
  let total = 0;
  sizes.forEach((size, index) => {
    if (index > start && (index - start >= maxEntries || total + size > maxBytes)) {
      batches.push([start, index]);
      start = index;
      total = 0;
    }
    total += size;
  });
  if (start < sizes.length) batches.push([start, sizes.length]);
  return batches;
}
