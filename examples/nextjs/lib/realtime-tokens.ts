import 'server-only';
import { ConnectTokenMinter } from '@alexho/invoice-realtime/server';

let minter: ConnectTokenMinter | undefined;

/**
 * One minter per server process, created on first use (not at import: `next build` imports
 * route modules without the runtime environment). It reads the signing key's secret named by
 * INVOICE_TOKEN_SECRET_ARN and keeps the key for five minutes.
 */
export function tokenMinter(): ConnectTokenMinter {
  minter ??= ConnectTokenMinter.fromEnvironment();
  return minter;
}
