// With the environment `alexho-local env` exports (its ARNs possibly replaced): publish one event
// and mint one token through the server entry; prints each outcome, an error as its class and code.
import { ConnectTokenMinter, InvoiceEventPublisher } from '@alexho/invoice-realtime/server';

const outcome = (promise) =>
  promise.then(
    () => ({ ok: true }),
    (error) => ({ ok: false, error: error.constructor.name, code: error.code, message: error.message }),
  );
console.log(
  JSON.stringify({
    publish: await outcome(
      InvoiceEventPublisher.fromEnvironment().publishInvoiceSent('INV-1', 'cust-1', { status: 'SENT' }),
    ),
    mint: await outcome(ConnectTokenMinter.fromEnvironment().mint({ sub: 'u', userType: 'ADMIN' })),
  }),
);
