/**
 * One pane: its own provider (so its own client, socket and token), its connection status, the
 * invoices it has seen and the notifications worded for its reader.
 */
import { useCallback, useState, type ReactNode } from 'react';
import type { InvoiceEvent, InvoiceState } from '@alexho/invoice-realtime';
import { AlexHoRealtimeProvider, useAlexHoWebSocket, type NotifyFunction } from '@alexho/invoice-realtime/react';
import { fetchToken } from './api.js';
import type { PaneSpec } from './panes.js';

const MAX_NOTIFICATIONS = 6;

interface Notification {
  eventId: string;
  message: string;
  receivedAt: number;
}

export function Pane({
  spec,
  websocketUrl,
  since,
}: {
  spec: PaneSpec;
  websocketUrl: string;
  /** `?since=<epoch ms>`: the first connection replays what was recorded since then. */
  since?: number | undefined;
}): ReactNode {
  const { identity } = spec;
  const getToken = useCallback(() => fetchToken(identity), [identity]);
  const [notifications, setNotifications] = useState<readonly Notification[]>([]);
  const notify = useCallback<NotifyFunction>((message: string, event: InvoiceEvent) => {
    const entry = { eventId: event.id, message, receivedAt: Date.now() };
    setNotifications((previous) => [entry, ...previous].slice(0, MAX_NOTIFICATIONS));
  }, []);
  return (
    <AlexHoRealtimeProvider url={websocketUrl} getToken={getToken} notify={notify} since={since}>
      <PaneBody spec={spec} notifications={notifications} />
    </AlexHoRealtimeProvider>
  );
}

function PaneBody({ spec, notifications }: { spec: PaneSpec; notifications: readonly Notification[] }): ReactNode {
  const userType = spec.userType;
  // The seed's own call: the provider above supplies the URL and getToken.
  const { status, error, invoices, events, lastEventAt, stale, gap, clearStale } = useAlexHoWebSocket({
    enabled: true,
    userType: userType || 'ADMIN',
    showNotifications: true,
  });
  return (
    <section
      className="pane"
      data-pane={spec.key}
      data-connection-status={status}
      data-stale={gap?.reason}
      aria-label={spec.title}
    >
      <header className="pane-header">
        <div>
          <h2>{spec.title}</h2>
          <p className="caption">Sees {spec.caption}</p>
        </div>
        <span className={`connection connection-${status}`} data-testid="connection-status">
          {status}
        </span>
      </header>
      {stale && (
        // A real app refetches its list here (then calls clearStale); the demo has no list to fetch.
        <p className="stale" role="status">
          <span className="stale-badge">stale — refetch</span> events may have been missed ({gap?.reason}).{' '}
          <button type="button" onClick={clearStale}>
            Refetched
          </button>
        </p>
      )}
      {error !== undefined && (
        <p className="pane-error" role="status">
          {error.message}
        </p>
      )}
      <p className="counters">
        {events.length} event{events.length === 1 ? '' : 's'} received
        {lastEventAt !== undefined && <> · last at {clock(lastEventAt)}</>}
      </p>
      <InvoiceTable invoices={invoices} />
      <h3>Notifications</h3>
      {notifications.length === 0 ? (
        <p className="empty">None yet.</p>
      ) : (
        <ul className="notifications">
          {notifications.map((entry) => (
            <li key={entry.eventId} data-event-id={entry.eventId}>
              <time>{clock(entry.receivedAt)}</time> {entry.message}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function InvoiceTable({ invoices }: { invoices: readonly InvoiceState[] }): ReactNode {
  if (invoices.length === 0) return <p className="empty">No invoices seen yet.</p>;
  return (
    <table className="invoices">
      <thead>
        <tr>
          <th>Invoice</th>
          <th>Status</th>
          <th>Total</th>
          <th>Last event</th>
        </tr>
      </thead>
      <tbody>
        {[...invoices].reverse().map((invoice) => (
          <tr key={invoice.invoiceId} data-invoice-id={invoice.invoiceId} data-status={invoice.data.status}>
            <td>
              <span className="invoice-id">{invoice.invoiceId}</span>
              <span className="customer">{invoice.customerId}</span>
            </td>
            <td>
              <span className={`status status-${invoice.data.status.toLowerCase()}`}>{invoice.data.status}</span>
            </td>
            <td>{money(invoice.data)}</td>
            <td className="last-event">{invoice.lastEventType}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function money(data: InvoiceState['data']): string {
  const total = typeof data.total === 'string' ? data.total : undefined;
  const currency = typeof data.currency === 'string' ? data.currency : '';
  return total === undefined ? '—' : `${total} ${currency}`.trim();
}

function clock(epochMs: number): string {
  return new Date(epochMs).toLocaleTimeString(undefined, { hour12: false });
}
