// The "done when": in a shell after `eval "$(alexho-local env)"`, mint a customer token
// and publish an INVOICE_SENT through @alexho/invoice-realtime/server, and receive it with the
// package's client. argv: the WebSocket URL, the customer id. Prints what was published and seen.
import { AlexHoWebSocketClient } from '@alexho/invoice-realtime';
import { ConnectTokenMinter, InvoiceEventPublisher } from '@alexho/invoice-realtime/server';

const [url, customerId] = process.argv.slice(2);
const minter = ConnectTokenMinter.fromEnvironment();
const publisher = InvoiceEventPublisher.fromEnvironment({ source: 'node-backend' });
const client = new AlexHoWebSocketClient({
  url,
  getToken: () => minter.mint({ sub: `user-of-${customerId}`, userType: 'CUSTOMER', customerId }),
  browserSignals: false,
});
const timeout = setTimeout(() => {
  console.error(`timed out; status ${client.status}, last error ${client.lastError?.message}`);
  process.exit(2);
}, 15_000);
const received = new Promise((resolve) => client.subscribe((event) => resolve(event)));
const opened = new Promise((resolve) => client.onStatus((status) => status === 'open' && resolve()));
client.connect();
await opened;
const published = await publisher.publishInvoiceSent(`INV-${Date.now()}`, customerId, {
  status: 'SENT',
  total: '120.00',
});
const event = await received;
clearTimeout(timeout);
client.close();
console.log(JSON.stringify({ published: published.event, messageId: published.messageId, received: event }));
