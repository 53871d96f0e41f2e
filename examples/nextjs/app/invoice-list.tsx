'use client';
import { useAlexHoWebSocket } from '@alexho/invoice-realtime/react';

export function InvoiceList({ userType }: { userType?: 'ADMIN' | 'CUSTOMER' }) {
  const { status, error, invoices, lastEvent } = useAlexHoWebSocket({
    enabled: true,
    userType: userType || 'ADMIN',
    showNotifications: true,
  });
  return (
    <section data-connection-status={status}>
      <p>
        Live updates: {status}
        {error ? ` (${error.message})` : ''}
      </p>
      <table>
        <tbody>
          {invoices.map((invoice) => (
            <tr key={invoice.invoiceId} data-invoice-id={invoice.invoiceId} data-status={invoice.data.status}>
              <td>{invoice.invoiceId}</td>
              <td>{invoice.data.status}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {lastEvent && (
        <p>
          Last change: {lastEvent.type} at {lastEvent.time}
        </p>
      )}
    </section>
  );
}
