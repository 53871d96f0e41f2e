// Builds envelopes with the server entry for the cases on stdin (JSON list of
// {type, invoiceId, customerId, data, source, eventId?, time?}); prints each envelope with its SNS
// message body and attributes, or the problems of a refused one.
import { text } from 'node:stream/consumers';
import { buildEvent, encodeEvent, InvalidInvoiceEventError, messageAttributes } from '@alexho/invoice-realtime/server';

const out = [];
for (const { time, ...parts } of JSON.parse(await text(process.stdin))) {
  try {
    const event = buildEvent({ ...parts, ...(time ? { time: new Date(time) } : {}) });
    out.push({ event, body: encodeEvent(event), attributes: messageAttributes(event) });
  } catch (error) {
    if (!(error instanceof InvalidInvoiceEventError)) throw error;
    out.push({ refused: error.constructor.name, problems: error.problems });
  }
}
console.log(JSON.stringify(out));
