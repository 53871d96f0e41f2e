// In an app without the AWS SDK packages: mint with a given key, then publish and mint with a
// secret; prints each outcome, an error as its class and message.
import { ConnectTokenMinter, InvoiceEventPublisher } from '@alexho/invoice-realtime/server';

const outcome = (promise) =>
  promise.then(
    (value) => ({ ok: true, value: typeof value === 'string' ? 'token' : 'result' }),
    (error) => ({ ok: false, error: error.constructor.name, message: error.message }),
  );
const topicArn = 'arn:aws:sns:eu-west-1:123456789012:alexHoInvoiceEvents-dev';
const secretId = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:key';
console.log(
  JSON.stringify({
    mintWithKey: await outcome(
      new ConnectTokenMinter({ signingKey: 'k'.repeat(32) }).mint({ sub: 'u', userType: 'ADMIN' }),
    ),
    publish: await outcome(
      new InvoiceEventPublisher({ topicArn }).publishInvoiceSent('INV-1', 'c-1', { status: 'SENT' }),
    ),
    mintWithSecret: await outcome(new ConnectTokenMinter({ secretId }).mint({ sub: 'u', userType: 'ADMIN' })),
  }),
);
