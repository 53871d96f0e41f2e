/**
 * One short notification message per event, worded for the reader. `userType` chooses the
 * wording only; the server decides which events a connection receives.
 */
import type { InvoiceEvent, InvoiceEventType } from './types.js';

export type UserType = 'ADMIN' | 'CUSTOMER';

const ADMIN_WORDING: Record<InvoiceEventType, (invoice: string, customer: string) => string> = {
  INVOICE_CREATED: (invoice, customer) => `Invoice ${invoice} was created (${customer})`,
  INVOICE_UPDATED: (invoice, customer) => `Invoice ${invoice} was updated (${customer})`,
  INVOICE_SENT: (invoice, customer) => `Invoice ${invoice} was sent (${customer})`,
  INVOICE_PAID: (invoice, customer) => `Invoice ${invoice} was paid (${customer})`,
  PAYMENT_RECORDED: (invoice, customer) => `A payment was recorded on invoice ${invoice} (${customer})`,
};

const CUSTOMER_WORDING: Record<InvoiceEventType, (invoice: string) => string> = {
  INVOICE_CREATED: (invoice) => `Your invoice ${invoice} was created`,
  INVOICE_UPDATED: (invoice) => `Your invoice ${invoice} was updated`,
  INVOICE_SENT: (invoice) => `You have a new invoice: ${invoice}`,
  INVOICE_PAID: (invoice) => `Your invoice ${invoice} is paid`,
  PAYMENT_RECORDED: (invoice) => `Your payment on invoice ${invoice} was recorded`,
};

/** The message for `event`: an admin reads "Invoice INV-42 was paid (cust-42)", a customer "Your invoice INV-42 is paid". */
export function notificationMessage(event: InvoiceEvent, userType: UserType): string {
  const invoice = event.data.invoiceId;
  if (userType === 'CUSTOMER') return CUSTOMER_WORDING[event.type](invoice);
  return ADMIN_WORDING[event.type](invoice, event.data.customerId);
}
