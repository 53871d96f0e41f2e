/**
 * The demo page server's endpoints (`alexho-local up`, same origin): the stack's WebSocket URL,
 * fresh connect tokens, and publishing a seed-scenario step through the Python publisher SDK.
 */
import type { InvoiceEventType, InvoiceStatus } from '@alexho/invoice-realtime';

export interface ScenarioStep {
  eventType: InvoiceEventType;
  status: InvoiceStatus;
}

export interface DemoConfig {
  websocketUrl: string;
  customerIds: string[];
  steps: ScenarioStep[];
}

/** Who a pane connects as: an admin, or a user of one customer. */
export type Identity = { role: 'admin' } | { role: 'customer'; customerId: string };

export interface Published {
  eventId: string;
  eventType: InvoiceEventType;
  invoiceId: string;
  customerId: string;
  status: InvoiceStatus;
}

async function json<T>(response: Response): Promise<T> {
  const body: unknown = await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = (body as { error?: unknown }).error;
    throw new Error(typeof message === 'string' ? message : `HTTP ${response.status}`);
  }
  return body as T;
}

export async function fetchConfig(): Promise<DemoConfig> {
  return json<DemoConfig>(await fetch('/api/config', { cache: 'no-store' }));
}

/** A fresh connect token (about a minute long) for `identity`; called before every connect. */
export async function fetchToken(identity: Identity): Promise<string> {
  const query = new URLSearchParams({ as: identity.role });
  if (identity.role === 'customer') query.set('customerId', identity.customerId);
  const { token } = await json<{ token: string }>(await fetch(`/api/token?${query.toString()}`, { cache: 'no-store' }));
  return token;
}

export async function publishStep(
  eventType: InvoiceEventType,
  invoiceId: string,
  customerId: string,
): Promise<Published> {
  const response = await fetch('/api/scenario', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ eventType, invoiceId, customerId }),
  });
  return json<Published>(response);
}
