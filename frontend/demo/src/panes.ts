/** Which panes the page shows: `?pane=admin&pane=cust-42` picks some; by default all three. */
import type { UserType } from '@alexho/invoice-realtime';
import type { Identity } from './api.js';

export interface PaneSpec {
  /** `admin` or the customer id; also the pane's `data-pane` attribute. */
  key: string;
  title: string;
  /** What the server sends this pane (the server decides; this is only the caption). */
  caption: string;
  userType: UserType;
  identity: Identity;
}

const CUSTOMER_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

export function adminPane(): PaneSpec {
  return {
    key: 'admin',
    title: 'Admin',
    caption: 'every invoice of every customer, drafts included',
    userType: 'ADMIN',
    identity: { role: 'admin' },
  };
}

export function customerPane(customerId: string): PaneSpec {
  return {
    key: customerId,
    title: `Customer ${customerId}`,
    caption: `${customerId}'s own invoices, once they are sent`,
    userType: 'CUSTOMER',
    identity: { role: 'customer', customerId },
  };
}

/** The panes named in `search` (unknown names are skipped), else admin and every customer. */
export function panesFor(search: string, customerIds: readonly string[]): PaneSpec[] {
  const wanted = new URLSearchParams(search).getAll('pane');
  const keys = wanted.length > 0 ? wanted : ['admin', ...customerIds];
  const seen = new Set<string>();
  const panes: PaneSpec[] = [];
  for (const key of keys) {
    if (seen.has(key)) continue;
    seen.add(key);
    if (key === 'admin') panes.push(adminPane());
    else if (CUSTOMER_ID.test(key)) panes.push(customerPane(key));
  }
  return panes;
}
