/** The invoice store: events apply by data.version, never rolling an invoice back. */
import { describe, expect, it } from 'vitest';
import { InvoiceStore } from '../src/store.js';
import { makeEvent } from './support/protocol-server.js';

describe('InvoiceStore', () => {
  it('applies newer versions and ignores older ones and late duplicates', () => {
    const store = new InvoiceStore();
    const created = makeEvent({ type: 'INVOICE_CREATED', data: { status: 'DRAFT', version: 1 } });
    const sent = makeEvent({ type: 'INVOICE_SENT', data: { status: 'SENT', version: 3 } });
    const updated = makeEvent({ type: 'INVOICE_UPDATED', data: { status: 'DRAFT', version: 2 } });
    expect(store.apply(created)).toBe(true);
    expect(store.apply(sent)).toBe(true);
    expect(store.apply(updated)).toBe(false); // reordered: older than what is held
    expect(store.apply(created)).toBe(false); // late duplicate
    expect(store.apply(sent)).toBe(false);
    expect(store.get('INV-42')).toMatchObject({ lastEventType: 'INVOICE_SENT', data: { status: 'SENT', version: 3 } });
  });

  it('ignores an event of the same version (a payment after the invoice it paid)', () => {
    const store = new InvoiceStore();
    store.apply(makeEvent({ type: 'INVOICE_PAID', data: { status: 'PAID', version: 4, total: '1300.00' } }));
    expect(
      store.apply(makeEvent({ type: 'PAYMENT_RECORDED', data: { status: 'PAID', version: 4, amount: '1300.00' } })),
    ).toBe(false);
    expect(store.get('INV-42')?.lastEventType).toBe('INVOICE_PAID');
  });

  it('applies unversioned events in arrival order and keeps fields an event leaves out', () => {
    const store = new InvoiceStore();
    store.apply(makeEvent({ data: { status: 'DRAFT', number: 'INV-2026-0042' } }));
    store.apply(makeEvent({ type: 'PAYMENT_RECORDED', data: { status: 'PARTIALLY_PAID', amount: '10.00' } }));
    expect(store.get('INV-42')?.data).toMatchObject({
      status: 'PARTIALLY_PAID',
      number: 'INV-2026-0042',
      amount: '10.00',
    });
  });

  it('lists invoices in first-seen order with a stable snapshot, and notifies subscribers', () => {
    const store = new InvoiceStore();
    const changes: string[] = [];
    const unsubscribe = store.subscribe((invoice) => changes.push(`${invoice.invoiceId}:${invoice.data.status}`));
    store.apply(makeEvent({ data: { invoiceId: 'INV-1', version: 1 } }));
    store.apply(makeEvent({ data: { invoiceId: 'INV-2', version: 1 } }));
    const snapshot = store.list();
    expect(store.list()).toBe(snapshot);
    store.apply(makeEvent({ type: 'INVOICE_SENT', data: { invoiceId: 'INV-1', status: 'SENT', version: 2 } }));
    expect(store.list()).not.toBe(snapshot);
    expect(store.list().map((invoice) => invoice.invoiceId)).toEqual(['INV-1', 'INV-2']);
    unsubscribe();
    store.apply(makeEvent({ data: { invoiceId: 'INV-3' } }));
    expect(changes).toEqual(['INV-1:DRAFT', 'INV-2:DRAFT', 'INV-1:SENT']);
    expect(store.size).toBe(3);
  });
});
