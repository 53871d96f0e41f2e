import { connection } from 'next/server';
import { Suspense } from 'react';
import { currentUser } from '@/lib/session';
import { InvoiceList } from './invoice-list';
import { Realtime } from './realtime';

export default function Page() {
  return (
    <main>
      <h1>Invoices</h1>
      {/* Reading cookies makes this part dynamic: with cacheComponents it renders inside <Suspense>. */}
      <Suspense fallback={<p>Loading…</p>}>
        <Invoices />
      </Suspense>
    </main>
  );
}

async function Invoices() {
  const user = await currentUser();
  if (!user) {
    return (
      <p>
        Sign in as <a href="/sign-in?as=admin">an admin</a> or as <a href="/sign-in?as=cust-42">customer cust-42</a>.
      </p>
    );
  }
  // Load the invoices from your database here; events recorded after this moment are replayed
  // when the socket opens, so nothing published in between is missed. (`connection()`: the time
  // is the request's, never a prerender's.)
  await connection();
  const loadedAt = Date.now();
  return (
    <Realtime since={loadedAt}>
      <p>
        Signed in as <strong data-user-type={user.userType}>{user.customerId ?? 'admin'}</strong>
      </p>
      <InvoiceList userType={user.userType} />
    </Realtime>
  );
}
