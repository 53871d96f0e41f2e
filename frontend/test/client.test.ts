/** The client against a real `ws` server on loopback (Node's global WebSocket on the client side). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlexHoWebSocketClient, type AlexHoClientOptions } from '../src/client.js';
import type { InvoiceEvent } from '../src/types.js';
import { makeEvent, makeJwt, ProtocolServer, SUBPROTOCOL, waitFor } from './support/protocol-server.js';

let server: ProtocolServer;
const clients: AlexHoWebSocketClient[] = [];

beforeEach(async () => {
  server = await ProtocolServer.start();
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await server.stop();
});

/** A client with short timings, tokens from `makeToken` (`token-1`, `token-2`, …), every event recorded. */
function startClient(options: Partial<AlexHoClientOptions> = {}, makeToken = (n: number): string => `token-${n}`) {
  const tokens: string[] = [];
  const events: InvoiceEvent[] = [];
  const client = new AlexHoWebSocketClient({
    url: server.url,
    getToken: async () => {
      const token = makeToken(tokens.length + 1);
      tokens.push(token);
      return token;
    },
    backoff: { baseMs: 20, capMs: 100 },
    errorBackoff: { baseMs: 50, capMs: 200 },
    browserSignals: false,
    ...options,
  });
  client.subscribe((event) => events.push(event));
  clients.push(client);
  client.connect();
  return { client, tokens, events };
}

/** The most connections the server had open at once, sampled every millisecond. */
function watchConcurrentSockets(): () => number {
  let most = 0;
  const timer = setInterval(() => {
    most = Math.max(most, server.open.length);
  }, 1);
  return () => {
    clearInterval(timer);
    return most;
  };
}

describe('connecting', () => {
  it('offers the subprotocol with the token and opens', async () => {
    const statuses: string[] = [];
    const client = new AlexHoWebSocketClient({
      url: server.url,
      getToken: () => 'secret-token',
      browserSignals: false,
    });
    clients.push(client);
    client.onStatus((status) => statuses.push(status));
    expect(client.status).toBe('idle');
    client.connect();
    await waitFor(() => client.status === 'open', 'open');
    expect(server.tokensOffered).toEqual(['secret-token']);
    expect(server.connections[0]?.socket.protocol).toBe(SUBPROTOCOL);
    expect(statuses).toEqual(['connecting', 'open']);
  });

  it('sends the token as ?token= only when asked to', async () => {
    const { client } = startClient({ tokenTransport: 'query' });
    await waitFor(() => client.status === 'open', 'open');
    expect(server.tokensOffered).toEqual(['token-1']);
    expect(server.connections[0]?.socket.protocol).toBe(SUBPROTOCOL);
  });

  it('never opens on a server that does not echo the subprotocol', async () => {
    server.behaviour.echoSubprotocol = false;
    const { client, tokens } = startClient({ failureThreshold: 2 });
    const statuses: string[] = [];
    client.onStatus((status) => statuses.push(status));
    // Node's WebSocket (like browsers) fails such a handshake, which counts as a refusal; a
    // WebSocket that opened anyway would be closed by the client with a `protocol` error.
    await waitFor(() => client.lastError !== undefined && tokens.length >= 3, 'the error state');
    expect(['unauthorized', 'protocol']).toContain(client.lastError?.code);
    expect(statuses).not.toContain('open');
  });

  it('gets a fresh token for every connection attempt', async () => {
    const { client, tokens } = startClient();
    await waitFor(() => client.status === 'open', 'open');
    server.dropAll();
    await waitFor(() => server.open.length === 1 && server.connections.length === 2, 'second connection');
    server.dropAll();
    await waitFor(() => server.open.length === 1 && server.connections.length === 3, 'third connection');
    expect(tokens).toEqual(['token-1', 'token-2', 'token-3']);
    expect(server.connections.map((connection) => connection.token)).toEqual(tokens);
  });

  it('rejects a URL that is not ws:// or wss:// and a missing getToken up front', () => {
    expect(() => new AlexHoWebSocketClient({ url: 'http://example.com', getToken: () => 't' })).toThrow(
      /ws:\/\/ or wss:\/\/ URL, not http:/,
    );
    expect(() => new AlexHoWebSocketClient({ url: 'wss://', getToken: () => 't' })).toThrow(/not a valid URL/);
    expect(() => new AlexHoWebSocketClient({ url: 'wss://example.com', getToken: undefined as never })).toThrow(
      /getToken/,
    );
  });
});

describe('events', () => {
  it('delivers events to subscribe, subscribeType and subscribeInvoice until unsubscribed', async () => {
    const { client } = startClient();
    const byType: string[] = [];
    const byInvoice: string[] = [];
    const offType = client.subscribeType('INVOICE_PAID', (event) => byType.push(event.id));
    const offInvoice = client.subscribeInvoice('INV-7', (event) => byInvoice.push(event.id));
    await waitFor(() => client.status === 'open', 'open');
    const paid7 = makeEvent({ type: 'INVOICE_PAID', data: { invoiceId: 'INV-7', status: 'PAID' } });
    const created8 = makeEvent({ data: { invoiceId: 'INV-8' } });
    server.publish(paid7);
    server.publish(created8);
    await waitFor(() => client.lastEventAt !== undefined && byInvoice.length === 1, 'events');
    await waitFor(() => client.cursor !== undefined && client.stats.duplicateEvents === 0, 'cursor');
    expect(byType).toEqual([paid7.id]);
    expect(byInvoice).toEqual([paid7.id]);
    offType();
    offInvoice();
    const paid7Again = makeEvent({ type: 'INVOICE_PAID', data: { invoiceId: 'INV-7', status: 'PAID' } });
    const seen: string[] = [];
    client.subscribe((event) => seen.push(event.id));
    server.publish(paid7Again);
    await waitFor(() => seen.length === 1, 'third event');
    expect(byType).toEqual([paid7.id]);
    expect(byInvoice).toEqual([paid7.id]);
  });

  it('de-duplicates by event id', async () => {
    const { client, events } = startClient();
    await waitFor(() => client.status === 'open', 'open');
    const event = makeEvent();
    const connection = server.open[0]!;
    server.send(connection, { type: 'event', cursor: '1700000000000.0000000000000001', event });
    server.send(connection, { type: 'event', cursor: '1700000000000.0000000000000002', event });
    const other = makeEvent();
    server.send(connection, { type: 'event', cursor: '1700000000000.0000000000000003', event: other });
    await waitFor(() => events.length === 2, 'two events');
    expect(events.map((e) => e.id)).toEqual([event.id, other.id]);
    expect(client.stats.duplicateEvents).toBe(1);
  });

  it('keeps de-duplication memory bounded', async () => {
    const { client, events } = startClient({ dedupCapacity: 2 });
    await waitFor(() => client.status === 'open', 'open');
    const [a, b, c] = [makeEvent(), makeEvent(), makeEvent()];
    const connection = server.open[0]!;
    for (const [index, event] of [a, b, c, a].entries()) {
      server.send(connection, { type: 'event', cursor: `1700000000000.000000000000000${index}`, event });
    }
    // `a` left the memory when `c` came, so its redelivery passes: the bound is real.
    await waitFor(() => events.length === 4, 'four events');
    expect(client.stats.duplicateEvents).toBe(0);
  });

  it('ignores and counts malformed and unknown frames, and keeps the connection', async () => {
    const { client, events } = startClient();
    const ignored: string[] = [];
    client.onIgnored((info) => ignored.push(info.kind));
    await waitFor(() => client.status === 'open', 'open');
    const connection = server.open[0]!;
    server.send(connection, 'not json');
    server.send(connection, '[1,2]');
    server.send(connection, { type: 'event', cursor: '1700000000000.00000000000000aa', event: { id: 'x' } });
    server.send(connection, { type: 'event', event: makeEvent() });
    server.send(connection, { type: 'surprise' });
    server.send(connection, {
      type: 'event',
      cursor: '1700000000000.00000000000000ab',
      event: makeEvent({ type: 'INVOICE_VOIDED' as never }),
    });
    const good = makeEvent();
    server.publish(good);
    await waitFor(() => events.length === 1, 'the good event');
    expect(events[0]?.id).toBe(good.id);
    expect(client.stats.malformedFrames).toBe(4);
    expect(client.stats.unknownFrames).toBe(2);
    expect(ignored).toEqual(['malformed', 'malformed', 'malformed', 'malformed', 'unknown', 'unknown']);
    expect(client.status).toBe('open');
    expect(server.connections).toHaveLength(1);
  });

  it('keeps the connection on an error frame and reports it as lastError', async () => {
    const { client } = startClient();
    await waitFor(() => client.status === 'open', 'open');
    server.send(server.open[0]!, { type: 'error', code: 'internal-error', message: 'try again later' });
    await waitFor(() => client.lastError !== undefined, 'error');
    expect(client.lastError?.code).toBe('server');
    expect(client.lastError?.serverCode).toBe('internal-error');
    expect(client.status).toBe('open');
  });
});

describe('reconnecting', () => {
  it('resumes from the last cursor after a drop and gets what it missed', async () => {
    const { client, events } = startClient();
    await waitFor(() => client.status === 'open', 'open');
    const first = makeEvent();
    const firstCursor = server.publish(first);
    await waitFor(() => events.length === 1, 'first event');
    server.terminateAll();
    const missed = makeEvent({ type: 'INVOICE_SENT', data: { status: 'SENT' } });
    server.publish(missed, { live: false });
    await waitFor(() => events.length === 2, 'the missed event');
    const resume = server.connections[1]?.messages.find((message) => message.action === 'resume');
    expect(resume).toEqual({ action: 'resume', after: firstCursor });
    expect(events.map((e) => e.id)).toEqual([first.id, missed.id]);
  });

  it('never has two sockets while reconnecting', async () => {
    const mostOpen = watchConcurrentSockets();
    const { client } = startClient();
    for (let drop = 1; drop <= 3; drop++) {
      await waitFor(() => client.status === 'open' && server.connections.length === drop, `connection ${drop}`);
      server.dropAll();
    }
    await waitFor(() => client.status === 'open', 'open again');
    expect(mostOpen()).toBe(1);
  });

  it('reconnects when a pong does not come back in time', async () => {
    server.behaviour.answerPings = false;
    const { client } = startClient({ pingIntervalMs: 40, pongTimeoutMs: 40 });
    await waitFor(() => server.connections.length === 2, 'a second connection');
    expect(server.connections[0]?.messages).toContainEqual({ action: 'ping' });
    await waitFor(() => server.connections[0]?.closed === true, 'the dead socket closed');
    expect(client.stats.reconnects).toBeGreaterThanOrEqual(1);
  });

  it('backs off harder and reports unauthorized after refused handshakes', async () => {
    server.behaviour.acceptToken = () => false;
    const { client, tokens } = startClient({ random: () => 0.5, failureThreshold: 3 });
    await waitFor(() => tokens.length === 3 && client.retry?.attempt === 2, 'three refusals');
    expect(client.lastError?.code).toBe('unauthorized');
    // attempt 2 with the error backoff: 0.5 × min(200, 50 × 2²).
    expect(client.retry).toMatchObject({ attempt: 2, delayMs: 100 });
    expect(client.status).toBe('reconnecting');
  });

  it('reports unavailable after repeated early closes', async () => {
    server.behaviour.closeOnOpen = true;
    const { client } = startClient({ failureThreshold: 2 });
    await waitFor(() => client.lastError?.code === 'unavailable', 'unavailable');
    expect(server.connections.length).toBeGreaterThanOrEqual(2);
  });

  it('resets the backoff once a connection has stayed up', async () => {
    let refusals = 4;
    server.behaviour.acceptToken = () => refusals-- <= 0;
    const { client } = startClient({ random: () => 0.5, stableAfterMs: 50, failureThreshold: 10 });
    await waitFor(() => client.status === 'open', 'open after refusals');
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(client.lastError).toBeUndefined();
    server.dropAll();
    await waitFor(() => client.retry !== undefined, 'the next retry planned');
    expect(client.retry).toMatchObject({ attempt: 0, delayMs: 10 });
  });

  it('stops everything on close()', async () => {
    const { client } = startClient();
    await waitFor(() => client.status === 'open', 'open');
    client.close();
    expect(client.status).toBe('closed');
    await waitFor(() => server.open.length === 0, 'the socket closed');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(server.connections).toHaveLength(1);
    expect(client.socketCount).toBe(0);
    expect(() => client.connect()).toThrow(/closed for good/);
  });

  it('stops a reconnect that is waiting for its backoff on close()', async () => {
    server.behaviour.acceptToken = () => false;
    const { client } = startClient({ backoff: { baseMs: 60, capMs: 60 }, random: () => 0.99 });
    await waitFor(() => client.retry !== undefined, 'a retry planned');
    const offered = server.tokensOffered.length;
    client.close();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(server.tokensOffered.length).toBe(offered);
    expect(client.retry).toBeUndefined();
  });
});

describe('max-age handover', () => {
  it('moves to a new socket without losing or doubling an event', async () => {
    const mostOpen = watchConcurrentSockets();
    const { client, events } = startClient({ maxConnectionAgeMs: 150 });
    await waitFor(() => client.status === 'open', 'open');
    const published: string[] = [];
    const statuses: string[] = [];
    client.onStatus((status) => statuses.push(status));
    // Publish throughout the handover: some events reach only the old socket, some both.
    while (client.stats.handovers < 1 || published.length < 60) {
      const event = makeEvent();
      server.publish(event);
      published.push(event.id);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await waitFor(() => events.length >= published.length, 'every event');
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Each event exactly once (the two sockets' deliveries may interleave).
    expect(events.map((event) => event.id).sort()).toEqual([...published].sort());
    await waitFor(() => server.connections[0]?.closed === true, 'the old socket closed');
    expect(server.connections[1]?.messages).toContainEqual({ action: 'resume', after: expect.any(String) });
    expect(server.tokensOffered.slice(0, 2)).toEqual(['token-1', 'token-2']);
    expect(mostOpen()).toBeLessThanOrEqual(2);
    expect(statuses).not.toContain('reconnecting');
  });
});

describe('max-age handover without a resume answer', () => {
  it('closes the old socket after the pong deadline anyway', async () => {
    const { client, events } = startClient({ maxConnectionAgeMs: 100, pongTimeoutMs: 100 });
    await waitFor(() => client.status === 'open', 'open');
    server.publish(makeEvent());
    await waitFor(() => events.length === 1, 'an event (so that there is a cursor)');
    server.behaviour.answerResume = false;
    const gaps: string[] = [];
    client.onGap((gap) => gaps.push(gap.reason));
    await waitFor(() => client.stats.handovers === 1, 'the handover');
    // Without the resume's answer, continuity is not proven: a gap is reported.
    expect(gaps).toEqual(['handover-unconfirmed']);
    await waitFor(() => server.connections[0]?.closed === true, 'the old socket closed');
    const late = makeEvent();
    server.publish(late);
    await waitFor(() => events.length === 2, 'an event on the new socket');
    expect(events[1]?.id).toBe(late.id);
  });
});

describe('token refresh', () => {
  const nowSeconds = (): number => Math.floor(Date.now() / 1000);

  /** Tokens are JWTs that expire 3 s after they are issued; refresh 2.4 s before that. */
  const jwtClient = (options: Partial<AlexHoClientOptions> = {}) =>
    startClient({ refreshMarginMs: 2_400, refreshTimeoutMs: 200, ...options }, (n) =>
      makeJwt(nowSeconds() + 3, `user-${n}`),
    );

  it('sends refresh with a new token before exp and keeps the socket', async () => {
    const { client, tokens } = jwtClient();
    await waitFor(() => client.stats.refreshes >= 1, 'a refresh', 4000);
    expect(server.connections).toHaveLength(1);
    expect(server.connections[0]?.messages).toContainEqual({ action: 'refresh', token: tokens[1] });
    expect(server.connections[0]?.token).toBe(tokens[1]);
  });

  it('hands over to a new socket when the refresh is refused, resuming without a gap', async () => {
    server.behaviour.refresh = 'refuse';
    const { client, events } = jwtClient();
    await waitFor(() => client.status === 'open', 'open');
    const before = makeEvent();
    server.publish(before);
    await waitFor(() => client.stats.handovers === 1, 'a handover', 4000);
    const after = makeEvent();
    server.publish(after);
    await waitFor(() => events.length === 2, 'both events');
    expect(events.map((event) => event.id)).toEqual([before.id, after.id]);
    await waitFor(() => server.connections[0]?.closed === true, 'the old socket closed');
    expect(server.open).toHaveLength(1);
    expect(server.connections[1]?.messages[0]).toMatchObject({ action: 'resume' });
  });

  it('hands over when the refresh goes unanswered', async () => {
    server.behaviour.refresh = 'ignore';
    const { client } = jwtClient();
    await waitFor(() => client.stats.handovers === 1, 'a handover', 4000);
    expect(server.connections[0]?.messages.some((message) => message.action === 'refresh')).toBe(true);
    await waitFor(() => server.connections[0]?.closed === true, 'the old socket closed');
    expect(server.open).toHaveLength(1);
  });

  it('stops refreshing on a server without refresh (unknown-action) and keeps the socket', async () => {
    server.behaviour.refresh = 'unsupported';
    server.behaviour.enforceExpiry = false;
    const { client } = jwtClient({ refreshMarginMs: 2_900 });
    await waitFor(() => client.stats.errorFrames === 1, 'the unknown-action answer', 4000);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(server.connections[0]?.messages.filter((message) => message.action === 'refresh')).toHaveLength(1);
    expect(server.connections).toHaveLength(1);
    expect(client.stats.handovers).toBe(0);
    expect(client.lastError).toBeUndefined();
  });

  it('never refreshes a token that is not a JWT', async () => {
    server.behaviour.enforceExpiry = false;
    const { client } = startClient({ refreshMarginMs: 1_000_000_000 });
    await waitFor(() => client.status === 'open', 'open');
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(server.connections[0]?.messages.filter((message) => message.action === 'refresh')).toEqual([]);
  });
});

describe('browser signals', () => {
  it('keeps reconnecting to a loopback URL while the browser reports being offline', async () => {
    // A machine with only loopback (or a VPN, a captive portal) makes browsers report offline.
    const { client, events } = startClient({
      browserSignals: { window: new EventTarget(), document: new EventTarget(), isOnline: () => false },
      backoff: { baseMs: 20, capMs: 60_000 },
    });
    await waitFor(() => client.status === 'open', 'open');
    const first = server.publish(makeEvent());
    await waitFor(() => events.length === 1, 'a first event');
    server.terminateAll();
    const missed = makeEvent();
    server.publish(missed, { live: false });
    await waitFor(() => events.length === 2, 'the missed event, after a reconnect');
    expect(events[1]?.id).toBe(missed.id);
    expect(server.connections[1]?.messages[0]).toEqual({ action: 'resume', after: first });
  });

  /** A remote URL, dialled on loopback by a WebSocket that rewrites it (nothing leaves loopback). */
  const remote = 'wss://invoices.example.test/prod';
  const reroutedWebSocket = (): typeof WebSocket => {
    const target = server.url;
    return class Rerouted extends WebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(String(url).replace(remote, target), protocols);
      }
    };
  };

  it('takes a connection that opens as proof that a reported offline state is wrong', async () => {
    const { client } = startClient({
      url: remote,
      WebSocket: reroutedWebSocket(),
      browserSignals: { window: new EventTarget(), document: new EventTarget(), isOnline: () => false },
      backoff: { baseMs: 20, capMs: 60_000 },
    });
    await waitFor(() => client.status === 'open', 'open');
    server.terminateAll();
    await waitFor(() => server.connections.length === 2 && client.status === 'open', 'reconnected');
  });

  it('slows down after an offline event, never stops, and retries at once when back online', async () => {
    const Rerouted = reroutedWebSocket();
    const window = new EventTarget();
    let online = true;
    const { client } = startClient({
      url: remote,
      WebSocket: Rerouted,
      browserSignals: { window, document: new EventTarget(), isOnline: () => online },
      backoff: { baseMs: 20, capMs: 60_000 },
    });
    await waitFor(() => client.status === 'open', 'open');
    online = false;
    window.dispatchEvent(new Event('offline'));
    server.terminateAll();
    await waitFor(() => client.retry !== undefined, 'a retry planned');
    expect(client.retry?.delayMs).toBe(60_000);
    expect(server.connections).toHaveLength(1);
    online = true;
    window.dispatchEvent(new Event('online'));
    await waitFor(() => client.status === 'open', 'open again');
    expect(server.connections).toHaveLength(2);
  });

  it('checks the connection with a ping when the page becomes visible', async () => {
    const document = Object.assign(new EventTarget(), { visibilityState: 'hidden' });
    const { client } = startClient({ browserSignals: { window: new EventTarget(), document } });
    await waitFor(() => client.status === 'open', 'open');
    document.visibilityState = 'visible';
    document.dispatchEvent(new Event('visibilitychange'));
    await waitFor(() => server.connections[0]?.messages.some((m) => m.action === 'ping') === true, 'a ping');
  });
});

describe('resume since the page loaded', () => {
  it('starts with a resume since the given time and gets only what was recorded since', async () => {
    const loadedAt = Date.now() - 60_000;
    const before = makeEvent();
    const after = makeEvent();
    server.publish(before, { live: false, recordedAt: loadedAt - 1 });
    server.publish(after, { live: false, recordedAt: loadedAt + 5 });
    const { client, events } = startClient({ since: loadedAt });
    await waitFor(() => events.length === 1 && client.cursor !== undefined, 'the event since then');
    expect(server.connections[0]?.messages[0]).toEqual({ action: 'resume', since: loadedAt });
    expect(events.map((event) => event.id)).toEqual([after.id]);
    expect(client.stats.gaps).toBe(0);
  });

  it('follows more: true until the replay is complete', async () => {
    server.behaviour.resumeBatch = 2;
    const loadedAt = Date.now() - 1_000;
    const published = [1, 2, 3, 4, 5].map((offset) => {
      const event = makeEvent();
      server.publish(event, { live: false, recordedAt: loadedAt + offset });
      return event.id;
    });
    const { events } = startClient({ since: loadedAt });
    await waitFor(() => events.length === 5, 'all five events');
    expect(events.map((event) => event.id)).toEqual(published);
    expect(server.connections[0]?.messages.filter((m) => m.action === 'resume')).toHaveLength(3);
  });

  it('resumes after the last cursor, not since, once it has one', async () => {
    const { client, events } = startClient({ since: Date.now() - 1_000 });
    await waitFor(() => client.cursor !== undefined, 'the first resume answered');
    const first = server.publish(makeEvent());
    await waitFor(() => events.length === 1, 'a live event');
    server.terminateAll();
    await waitFor(() => server.connections[1]?.messages.length === 1, 'the second resume');
    expect(server.connections[1]?.messages[0]).toEqual({ action: 'resume', after: first });
  });

  it('after a drop before any event, resumes since its first connection opened', async () => {
    const { client, events } = startClient();
    await waitFor(() => client.status === 'open', 'open');
    expect(server.connections[0]?.messages).toEqual([]);
    server.terminateAll();
    const missed = makeEvent();
    server.publish(missed, { live: false });
    await waitFor(() => events.length === 1, 'the event missed while away');
    expect(events[0]?.id).toBe(missed.id);
    expect(server.connections[1]?.messages[0]).toMatchObject({ action: 'resume', since: expect.any(Number) });
  });

  it('rejects a since that is not epoch milliseconds', () => {
    expect(() => new AlexHoWebSocketClient({ url: 'wss://example.test', getToken: () => 't', since: 1.5 })).toThrow(
      /since must be epoch milliseconds/,
    );
  });
});

describe('gaps', () => {
  it('reports a gap when a resume reaches beyond the retention', async () => {
    server.behaviour.retentionMs = 60_000;
    const gaps: string[] = [];
    const { client } = startClient({ since: Date.now() - 120_000 });
    client.onGap((gap) => gaps.push(gap.reason));
    await waitFor(() => gaps.length === 1, 'a gap');
    expect(gaps).toEqual(['truncated']);
    expect(client.stats.gaps).toBe(1);
    expect(client.status).toBe('open');
  });

  it('reports a gap when the server refuses a resume, with its code', async () => {
    const { client, events } = startClient();
    const gaps: { reason: string; serverCode?: string }[] = [];
    client.onGap((gap) => gaps.push(gap));
    await waitFor(() => client.status === 'open', 'open');
    server.publish(makeEvent());
    await waitFor(() => events.length === 1, 'an event');
    server.behaviour.resumeErrorCode = 'invalid-cursor';
    server.terminateAll();
    await waitFor(() => gaps.length === 1, 'a gap');
    expect(gaps[0]).toMatchObject({ reason: 'resume-failed', serverCode: 'invalid-cursor' });
    expect(client.status).toBe('open');
  });

  it('reports no gap after an ordinary reconnect and resume', async () => {
    const { client, events } = startClient();
    await waitFor(() => client.status === 'open', 'open');
    server.publish(makeEvent());
    await waitFor(() => events.length === 1, 'an event');
    server.terminateAll();
    await waitFor(() => server.connections.length === 2 && client.status === 'open', 'reconnected');
    await waitFor(() => server.connections[1]?.messages.length === 1, 'the resume');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(client.stats.gaps).toBe(0);
  });
});

describe('errors a developer can act on', () => {
  it('says a missing URL is missing, with the likely cause', () => {
    expect(() => new AlexHoWebSocketClient({ url: undefined as never, getToken: () => 't' })).toThrow(
      /url is undefined: pass the WebSocket URL \(with Next\.js, is the NEXT_PUBLIC_\* variable set/,
    );
  });

  it("keeps getToken's own message and the error it threw as cause", async () => {
    const failure = new Error('token endpoint answered 500');
    const client = new AlexHoWebSocketClient({
      url: server.url,
      getToken: () => Promise.reject(failure),
      browserSignals: false,
    });
    clients.push(client);
    client.connect();
    await waitFor(() => client.lastError !== undefined, 'the error');
    expect(client.lastError?.code).toBe('token');
    expect(client.lastError?.message).toBe('getToken() failed: token endpoint answered 500');
    expect(client.lastError?.cause).toBe(failure);
    expect(client.status).toBe('reconnecting');
  });

  it('stops for good without a WebSocket implementation, and says why', async () => {
    // Node 20 has no global WebSocket.
    const scope = globalThis as { WebSocket?: unknown };
    const original = scope.WebSocket;
    delete scope.WebSocket;
    try {
      const { client, tokens } = startClient();
      await waitFor(() => client.status === 'closed', 'closed');
      expect(client.lastError?.code).toBe('unsupported');
      expect(client.lastError?.message).toMatch(/no WebSocket implementation: use a browser or Node 22\+/);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(tokens).toHaveLength(1);
      expect(client.retry).toBeUndefined();
    } finally {
      scope.WebSocket = original;
    }
  });

  it('stops for good when the WebSocket refuses the URL, and says why', async () => {
    const { client, tokens } = startClient({ url: `${server.url}/#fragment` });
    await waitFor(() => client.status === 'closed', 'closed');
    expect(client.lastError?.code).toBe('unsupported');
    expect(client.lastError?.message).toMatch(/the WebSocket could not be created \(SyntaxError/);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(tokens).toHaveLength(1);
    expect(server.connections).toHaveLength(0);
  });
});
