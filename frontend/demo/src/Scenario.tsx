/**
 * The seed scenario's buttons. Each publishes one step for the current invoice through the local
 * stack, which calls the Python publisher SDK: the events then travel SNS → fan-out → WebSocket
 * to the panes, like a backend's would. "Create draft" starts a new invoice.
 */
import { useRef, useState, type ReactNode } from 'react';
import type { InvoiceEventType } from '@alexho/invoice-realtime';
import { publishStep, type ScenarioStep } from './api.js';

const LABELS: Record<InvoiceEventType, string> = {
  INVOICE_CREATED: 'Create draft',
  INVOICE_UPDATED: 'Update draft',
  INVOICE_SENT: 'Send',
  INVOICE_PAID: 'Pay',
  PAYMENT_RECORDED: 'Record payment',
};

interface LogLine {
  serial: number;
  /** The published event's id; undefined when publishing failed. */
  eventId: string | undefined;
  text: string;
}

function newInvoiceId(): string {
  return `inv-${Date.now().toString(36).slice(-6)}`;
}

export function Scenario({
  steps,
  customerIds,
}: {
  steps: readonly ScenarioStep[];
  customerIds: readonly string[];
}): ReactNode {
  const [invoiceId, setInvoiceId] = useState<string | undefined>(undefined);
  const [customerId, setCustomerId] = useState(customerIds[0] ?? 'cust-42');
  const [busy, setBusy] = useState(false);
  const [log, setLog] = useState<readonly LogLine[]>([]);
  const [attempts, setAttempts] = useState(0);
  const serial = useRef(0);

  const addLine = (eventId: string | undefined, text: string): void =>
    setLog((previous) => [{ serial: ++serial.current, eventId, text }, ...previous].slice(0, 5));

  const press = async (eventType: InvoiceEventType): Promise<void> => {
    let target = invoiceId;
    if (eventType === 'INVOICE_CREATED' || target === undefined) {
      target = newInvoiceId();
      setInvoiceId(target);
    }
    setBusy(true);
    try {
      const published = await publishStep(eventType, target, customerId);
      addLine(
        published.eventId,
        `Published ${published.eventType} (${published.status}) for ${published.invoiceId} of ${published.customerId}`,
      );
    } catch (failure) {
      addLine(
        undefined,
        `Could not publish ${eventType}: ${failure instanceof Error ? failure.message : String(failure)}`,
      );
    } finally {
      setAttempts((previous) => previous + 1);
      setBusy(false);
    }
  };

  return (
    <section
      className="scenario"
      aria-label="Seed scenario"
      data-current-invoice={invoiceId ?? ''}
      data-publish-attempts={attempts}
    >
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
            onClick={() => void press(eventType)}
            title={`Publish ${eventType} (status ${status})`}
          >
            {LABELS[eventType]}
          </button>
        ))}
      </div>
      <ul className="publish-log" aria-live="polite">
        {log.map((line) => (
          <li
            key={line.serial}
            className={line.eventId === undefined ? 'failed' : 'ok'}
            data-published-event-id={line.eventId}
          >
            {line.text}
          </li>
        ))}
      </ul>
    </section>
  );
}
