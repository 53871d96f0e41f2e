'use client';
import { AlexHoRealtimeProvider } from '@alexho/invoice-realtime/react';
import { useState, type ReactNode } from 'react';

async function getToken(): Promise<string> {
  const response = await fetch('/api/realtime-token', { credentials: 'include', cache: 'no-store' });
  if (!response.ok) throw new Error(`token endpoint answered ${response.status}`);
  return (await response.json()).token;
}

/** One socket for every useAlexHoWebSocket below it; notifications shown in a list. */
export function Realtime({ since, children }: { since: number; children: ReactNode }) {
  const [notes, setNotes] = useState<{ id: string; message: string }[]>([]);
  return (
    <AlexHoRealtimeProvider
      // Fixed at build time; a missing one shows as the hook's `error`.
      url={process.env.NEXT_PUBLIC_WEBSOCKET_URL ?? ''}
      getToken={getToken}
      since={since}
      notify={(message, event) => setNotes((shown) => [{ id: event.id, message }, ...shown].slice(0, 5))}
    >
      {children}
      <ul aria-live="polite" className="notifications">
        {notes.map((note) => (
          <li key={note.id} data-event-id={note.id}>
            {note.message}
          </li>
        ))}
      </ul>
    </AlexHoRealtimeProvider>
  );
}
