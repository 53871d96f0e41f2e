/**
 * The seed scenario's buttons. Each publishes one step for the current invoice through the local
 * stack, which calls the Python publisher SDK: the events then travel SNS → fan-out → WebSocket
 * to the panes, like a backend's would. "Create draft" starts a new invoice.
 */
import { useState, type ReactNode } from 'react';
import type { InvoiceEventType } from '@alexho/invoice-realtime';
import { publishStep, type ScenarioStep } from './api.js';

const LABELS: Record<InvoiceEventType, string> = {
  INVOICE_CREATED: 'Create draft',
  INVOICE_UPDATED: 'Update draft',
  INVOICE_SENT: 'Send',
  INVOICE_PAID: 'Pay',
  PAYMENT_RECORDED: 'Record payment',
};
const PLAY_PAUSE_MS = 800;

interface LogLine {
  ok: boolean;
  text: string;
}

function newInvoiceId(): string {
  return `inv-${Date.now().toString(36).slice(-6)}`;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function Scenario({ steps, customerIds }: { steps: readonly ScenarioStep[]; customerIds: readonly string[] }): ReactNode {
  const [invoiceId, setInvoiceId] = useState<string | undefined>(undefined);
  const [customerId, setCustomerId] = useState(customerIds[0] ?? 'cust-42');
  const [busy, setBusy] = useState(false);
  const [log, setLog] = useState<readonly LogLine[]>([]);

  const publish = async (eventType: InvoiceEventType, forInvoice: string): Promise<boolean> => {
    try {
      const published = await publishStep(eventType, forInvoice, customerId);
      const text = `Published ${published.eventType} (${published.status}) for ${published.invoiceId} of ${published.customerId}`;
      setLog((previous) => [{ ok: true, text }, ...previous].slice(0, 5));
      return true;
    } catch (failure) {
      const text = `Could not publish ${eventType}: ${failure instanceof Error ? failure.message : String(failure)}`;
      setLog((previous) => [{ ok: false, text }, ...previous].slice(0, 5));
      return false;
    }
  };

  const run = async (work: () => Promise<void>): Promise<void> => {
    setBusy(true);
    try {
      await work();
    } finally {
      setBusy(false);
    }
  };

  const step = (eventType: InvoiceEventType): Promise<void> =>
    run(async () => {
      let target = invoiceId;
      if (eventType === 'INVOICE_CREATED' || target === undefined) {
        target = newInvoiceId();
        setInvoiceId(target);
      }
      await publish(eventType, target);
    });

  const playAll = (): Promise<void> =>
    run(async () => {
      const target = newInvoiceId();
      setInvoiceId(target);
      for (const [index, { eventType }] of steps.entries()) {
        if (index > 0) await pause(PLAY_PAUSE_MS);
        if (!(await publish(eventType, target))) return;
      }
    });

  return (
    <section className="scenario" aria-label="Seed scenario" data-current-invoice={invoiceId ?? ''}>
      <div className="scenario-target">
        <label>
          Customer{' '}
          <select value={customerId} onChange={(change) => setCustomerId(change.target.value)} disabled={busy}>
            {customerIds.map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
        </label>
        <span className="current-invoice">
          Invoice: <strong>{invoiceId ?? 'none yet'}</strong>
        </span>
      </div>
      <div className="buttons">
        {steps.map(({ eventType, status }) => (
          <button
            key={eventType}
            type="button"
            data-event-type={eventType}
            disabled={busy || (eventType !== 'INVOICE_CREATED' && invoiceId === undefined)}
            onClick={() => void step(eventType)}
            title={`Publish ${eventType} (status ${status})`}
          >
            {LABELS[eventType]}
          </button>
        ))}
        <button type="button" className="play" disabled={busy} onClick={() => void playAll()}>
          Play the whole scenario
        </button>
      </div>
      <ul className="publish-log" aria-live="polite">
        {log.map((line, index) => (
          <li key={index} className={line.ok ? 'ok' : 'failed'}>
            {line.text}
          </li>
        ))}
      </ul>
    </section>
  );
}
