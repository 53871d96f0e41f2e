// Publishes the BatchItems on stdin (a JSON list) with publishBatch to ALEXHO_INVOICE_TOPIC_ARN while
// an admin client (token from INVOICE_TOKEN_SECRET_ARN's key) listens on argv[2]; prints the batch
// result and the events the client received.
import { text } from 'node:stream/consumers';
import { AlexHoWebSocketClient } from '@alexho/invoice-realtime';
import { ConnectTokenMinter, InvoiceEventPublisher } from '@alexho/invoice-realtime/server';

const items = JSON.parse(await text(process.stdin));
const minter = ConnectTokenMinter.fromEnvironment();
const client = new AlexHoWebSocketClient({
  url: process.argv[2],
  getToken: () => minter.mint({ sub: 'batch-admin', userType: 'ADMIN' }),
  browserSignals: false,
});
const seen = [];
const all = new Promise((resolve) =>
  client.subscribe((event) => {
    seen.push(event);
    if (seen.length === items.length) resolve();
  }),
);
const timeout = setTimeout(() => {
  console.error(`timed out with ${seen.length} of ${items.length} events`);
  process.exit(2);
}, 15_000);
const opened = new Promise((resolve) => client.onStatus((status) => status === 'open' && resolve()));
client.connect();
await opened;
const result = await InvoiceEventPublisher.fromEnvironment().publishBatch(items);
await all;
clearTimeout(timeout);
client.close();
console.log(JSON.stringify({ ok: result.ok, entries: result.entries, received: seen }));
