// @vitest-environment happy-dom
/** `useAlexHoWebSocket` and `AlexHoRealtimeProvider` in a DOM, against a real `ws` server. */
import { act, cleanup, render, screen } from '@testing-library/react';
import { StrictMode, type ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlexHoRealtimeProvider, useAlexHoWebSocket, type UseAlexHoWebSocketOptions } from '../src/react/index.js';
import type { InvoiceEvent } from '../src/types.js';
import { makeEvent, ProtocolServer } from './support/protocol-server.js';

let server: ProtocolServer;
let tokenCalls = 0;
const getToken = async (): Promise<string> => {
  tokenCalls++;
  return `token-${tokenCalls}`;
};

beforeEach(async () => {
  tokenCalls = 0;
  server = await ProtocolServer.start();
});

afterEach(async () => {
  cleanup();
  await server.stop();
});

/** Lets pending effects, timers and socket traffic run. */
async function settle(ms = 100): Promise<void> {
  await act(async () => {
    await new Promise((resolve) => setTimeout(resolve, ms));
  });
}

/** Polls `predicate`, letting React render between polls (an act() scope holds renders back). */
async function until(predicate: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await settle(10);
  }
}

function Pane({ name, ...options }: UseAlexHoWebSocketOptions & { name: string }): ReactNode {
  const { status, events, lastEvent, invoices, error } = useAlexHoWebSocket(options);
  return (
    <section data-testid={name}>
      <span data-testid={`${name}-status`}>{status}</span>
      <span data-testid={`${name}-count`}>{events.length}</span>
      <span data-testid={`${name}-last`}>{lastEvent?.type ?? ''}</span>
      <span data-testid={`${name}-invoices`}>
        {invoices.map((invoice) => `${invoice.invoiceId}=${invoice.data.status}`).join(',')}
      </span>
      <span data-testid={`${name}-error`}>{error?.message ?? ''}</span>
    </section>
  );
}

const text = (id: string): string => screen.getByTestId(id).textContent ?? '';

describe('one socket', () => {
  it('opens a single socket under StrictMode and closes it on unmount', async () => {
    const { unmount } = render(
      <StrictMode>
        <Pane name="a" url={server.url} getToken={getToken} />
      </StrictMode>,
    );
    await until(() => text('a-status') === 'open', 'open');
    await settle(200);
    expect(server.connections).toHaveLength(1);
    expect(tokenCalls).toBe(1);
    unmount();
    await until(() => server.open.length === 0, 'the socket closed');
    await settle(100);
    expect(server.connections).toHaveLength(1);
  });

  it('shares one socket among three components under a provider', async () => {
    const { unmount } = render(
      <StrictMode>
        <AlexHoRealtimeProvider url={server.url} getToken={getToken}>
          <Pane name="a" />
          <Pane name="b" eventTypes={['INVOICE_PAID']} />
          <Pane name="c" invoiceId="INV-7" />
        </AlexHoRealtimeProvider>
      </StrictMode>,
    );
    await until(() => ['a', 'b', 'c'].every((name) => text(`${name}-status`) === 'open'), 'three open');
    await settle(100);
    expect(server.connections).toHaveLength(1);
    server.publish(makeEvent({ type: 'INVOICE_CREATED', data: { invoiceId: 'INV-7', version: 1 } }));
    server.publish(makeEvent({ type: 'INVOICE_PAID', data: { invoiceId: 'INV-8', status: 'PAID', version: 4 } }));
    await until(() => text('a-count') === '2', 'both events in a');
    expect(text('a-invoices')).toBe('INV-7=DRAFT,INV-8=PAID');
    expect([text('b-count'), text('b-last')]).toEqual(['1', 'INVOICE_PAID']);
    expect([text('c-count'), text('c-last'), text('c-invoices')]).toEqual(['1', 'INVOICE_CREATED', 'INV-7=DRAFT']);
    unmount();
    await until(() => server.open.length === 0, 'the shared socket closed');
    expect(server.connections).toHaveLength(1);
  });

  it('opens nothing with enabled: false, and connects once enabled', async () => {
    const { rerender } = render(
      <AlexHoRealtimeProvider url={server.url} getToken={getToken}>
        <Pane name="a" enabled={false} />
      </AlexHoRealtimeProvider>,
    );
    await settle(200);
    expect(text('a-status')).toBe('idle');
    expect(server.connections).toHaveLength(0);
    expect(tokenCalls).toBe(0);
    rerender(
      <AlexHoRealtimeProvider url={server.url} getToken={getToken}>
        <Pane name="a" enabled />
      </AlexHoRealtimeProvider>,
    );
    await until(() => text('a-status') === 'open', 'open');
    expect(server.connections).toHaveLength(1);
  });

  it('uses the latest getToken after a re-render, without a new socket', async () => {
    const used: string[] = [];
    const tokenFrom = (name: string) => async (): Promise<string> => {
      used.push(name);
      return `token-${name}`;
    };
    const { rerender } = render(<Pane name="a" url={server.url} getToken={tokenFrom('first')} />);
    await until(() => text('a-status') === 'open', 'open');
    rerender(<Pane name="a" url={server.url} getToken={tokenFrom('second')} />);
    await settle(50);
    expect(server.connections).toHaveLength(1);
    server.dropAll();
    await until(() => server.connections.length === 2 && text('a-status') === 'open', 'reconnected');
    expect(used).toEqual(['first', 'second']);
  });

  it('reports a provider URL that is undefined as its error, without a crash', async () => {
    const env: Record<string, string | undefined> = {};
    render(
      <AlexHoRealtimeProvider url={env.NEXT_PUBLIC_WEBSOCKET_URL as string} getToken={getToken}>
        <Pane name="a" />
      </AlexHoRealtimeProvider>,
    );
    await until(() => text('a-error') !== '', 'the error');
    expect(text('a-error')).toMatch(/url is undefined: pass the WebSocket URL/);
    expect(text('a-status')).toBe('idle');
    expect(tokenCalls).toBe(0);
  });

  it('says what is missing without a provider or a URL', () => {
    render(<Pane name="a" />);
    expect(text('a-error')).toMatch(/pass url and getToken, or render inside <AlexHoRealtimeProvider>/);
    expect(text('a-status')).toBe('idle');
  });
});

describe('the seed call and callbacks', () => {
  it('works as the seed calls it, with url and getToken from a provider, and calls onEvent', async () => {
    const seen: string[] = [];
    function SeedPage({ userType }: { userType?: 'ADMIN' | 'CUSTOMER' }): ReactNode {
      const { status, lastEvent } = useAlexHoWebSocket({
        enabled: true,
        userType: userType || 'ADMIN',
        showNotifications: true,
        onEvent: (event) => seen.push(event.id),
      });
      return <p data-testid="seed">{`${status}:${lastEvent?.data.status ?? '-'}`}</p>;
    }
    render(
      <AlexHoRealtimeProvider url={server.url} getToken={getToken} notify={() => undefined}>
        <SeedPage />
      </AlexHoRealtimeProvider>,
    );
    await until(() => text('seed') === 'open:-', 'open');
    const sent = makeEvent({ type: 'INVOICE_SENT', data: { status: 'SENT' } });
    server.publish(sent);
    await until(() => text('seed') === 'open:SENT', 'the event');
    expect(seen).toEqual([sent.id]);
  });
});

describe('notifications', () => {
  const paid = (): InvoiceEvent => makeEvent({ type: 'INVOICE_PAID', data: { status: 'PAID', version: 4 } });

  it.each([
    ['ADMIN', 'Invoice INV-42 was paid (cust-42)'],
    ['CUSTOMER', 'Your invoice INV-42 is paid'],
  ] as const)('words the message for %s, once per event however many components show it', async (userType, message) => {
    const messages: string[] = [];
    render(
      <AlexHoRealtimeProvider url={server.url} getToken={getToken} notify={(text) => messages.push(text)}>
        <Pane name="a" userType={userType} showNotifications />
        <Pane name="b" userType={userType} showNotifications />
        <Pane name="c" userType={userType} />
      </AlexHoRealtimeProvider>,
    );
    await until(() => text('a-status') === 'open', 'open');
    const event = paid();
    server.publish(event);
    server.publish(event);
    await until(() => text('c-count') === '1', 'the event');
    await settle(50);
    expect(messages).toEqual([message]);
  });

  it('shows nothing when showNotifications is off', async () => {
    const messages: string[] = [];
    render(<Pane name="a" url={server.url} getToken={getToken} notify={(text) => messages.push(text)} />);
    await until(() => text('a-status') === 'open', 'open');
    server.publish(paid());
    await until(() => text('a-count') === '1', 'the event');
    expect(messages).toEqual([]);
  });

  it('falls back to the browser Notification API when permission is granted', async () => {
    const shown: { title: string; body: string | undefined }[] = [];
    class BrowserNotification {
      static permission: NotificationPermission = 'granted';
      constructor(title: string, options?: NotificationOptions) {
        shown.push({ title, body: options?.body });
      }
    }
    const scope = globalThis as { Notification?: unknown };
    const original = scope.Notification;
    scope.Notification = BrowserNotification;
    try {
      render(<Pane name="a" url={server.url} getToken={getToken} userType="CUSTOMER" showNotifications />);
      await until(() => text('a-status') === 'open', 'open');
      server.publish(paid());
      await until(() => text('a-count') === '1', 'the event');
      expect(shown).toEqual([{ title: 'Invoice update', body: 'Your invoice INV-42 is paid' }]);
      BrowserNotification.permission = 'denied';
      server.publish(paid());
      await until(() => text('a-count') === '2', 'the second event');
      expect(shown).toHaveLength(1);
    } finally {
      scope.Notification = original;
    }
  });
});

describe('since and gaps', () => {
  function Stale({ name }: { name: string }): ReactNode {
    const { stale, gap, clearStale, events } = useAlexHoWebSocket({ onGap: (next) => gapsSeen.push(next.reason) });
    return (
      <section>
        <span data-testid={`${name}-stale`}>{stale ? `stale:${gap?.reason ?? ''}` : 'fresh'}</span>
        <span data-testid={`${name}-count`}>{events.length}</span>
        <button type="button" onClick={clearStale}>
          refetched
        </button>
      </section>
    );
  }
  let gapsSeen: string[] = [];
  beforeEach(() => {
    gapsSeen = [];
  });

  it("replays what was recorded since the provider's since", async () => {
    const loadedAt = Date.now() - 30_000;
    server.publish(makeEvent(), { live: false, recordedAt: loadedAt - 10 });
    server.publish(makeEvent({ type: 'INVOICE_SENT', data: { status: 'SENT' } }), {
      live: false,
      recordedAt: loadedAt + 10,
    });
    render(
      <AlexHoRealtimeProvider url={server.url} getToken={getToken} since={loadedAt}>
        <Pane name="a" />
      </AlexHoRealtimeProvider>,
    );
    await until(() => text('a-count') === '1', 'the event since then');
    expect(text('a-last')).toBe('INVOICE_SENT');
    expect(server.connections[0]?.messages[0]).toEqual({ action: 'resume', since: loadedAt });
  });

  it('resumes since the last socket closed when the hooks mount again under the same provider', async () => {
    function Page({ show }: { show: boolean }): ReactNode {
      return (
        <AlexHoRealtimeProvider url={server.url} getToken={getToken}>
          {show && <Pane name="a" />}
        </AlexHoRealtimeProvider>
      );
    }
    const { rerender } = render(<Page show />);
    await until(() => text('a-status') === 'open', 'open');
    rerender(<Page show={false} />);
    await until(() => server.open.length === 0, 'the socket closed');
    const missed = makeEvent({ type: 'INVOICE_SENT', data: { status: 'SENT' } });
    server.publish(missed, { live: false });
    rerender(<Page show />);
    await until(() => text('a-invoices') === 'INV-42=SENT', 'the event published while unmounted');
    expect(server.connections[1]?.messages[0]).toMatchObject({ action: 'resume', since: expect.any(Number) });
  });

  it('is stale after a gap, calls onGap, and is fresh again after clearStale', async () => {
    server.behaviour.retentionMs = 1_000;
    render(
      <AlexHoRealtimeProvider url={server.url} getToken={getToken} since={Date.now() - 60_000}>
        <Stale name="a" />
        <Stale name="b" />
      </AlexHoRealtimeProvider>,
    );
    await until(() => text('a-stale') === 'stale:truncated', 'stale');
    expect(text('b-stale')).toBe('stale:truncated');
    expect(gapsSeen).toEqual(['truncated', 'truncated']);
    act(() => screen.getAllByRole('button', { name: 'refetched' })[0]?.click());
    expect(text('a-stale')).toBe('fresh');
    expect(text('b-stale')).toBe('fresh');
  });
});
