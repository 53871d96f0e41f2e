/**
 * One socket per browser, per identity: clients in one process stand for tabs, sharing through
 * Node's real Web Locks (`navigator.locks`) and `BroadcastChannel`, against a real `ws` server.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlexHoWebSocketClient, type AlexHoClientOptions } from '../src/client.js';
import { sharingKey, type TabSharingApis } from '../src/tab-sharing.js';
import type { InvoiceEvent } from '../src/types.js';
import { makeEvent, makeJwt, ProtocolServer, waitFor } from './support/protocol-server.js';

const apis: TabSharingApis = { locks: navigator.locks, BroadcastChannel };
let server: ProtocolServer;
const clients: AlexHoWebSocketClient[] = [];

beforeEach(async () => {
  server = await ProtocolServer.start();
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await server.stop();
});

/** A "tab": a client whose tokens are JWTs for `subject`, recording every event it delivers. */
function openTab(subject: string, options: Partial<AlexHoClientOptions> = {}) {
  const events: InvoiceEvent[] = [];
  const client = new AlexHoWebSocketClient({
    url: server.url,
    getToken: () => makeJwt(Math.floor(Date.now() / 1000) + 600, subject),
    backoff: { baseMs: 20, capMs: 100 },
    browserSignals: false,
    shareAcrossTabs: apis,
    ...options,
  });
  client.subscribe((event) => events.push(event));
  clients.push(client);
  client.connect();
  return { client, events };
}

const ids = (events: readonly InvoiceEvent[]): string[] => events.map((event) => event.id);

describe('one socket per browser, per identity', () => {
  it('shares one connection between two tabs of one identity, and both get every event', async () => {
    const leader = openTab('user-1');
    await waitFor(() => leader.client.status === 'open', 'the leader open');
    const follower = openTab('user-1');
    await waitFor(() => follower.client.status === 'open', 'the follower showing the shared connection');
    expect(follower.client.following).toBe(true);
    expect(follower.client.socketCount).toBe(0);
    const published = [makeEvent(), makeEvent(), makeEvent()].map((event) => {
      server.publish(event);
      return event.id;
    });
    await waitFor(() => follower.events.length === 3 && leader.events.length === 3, 'every event in both tabs');
    expect(ids(leader.events)).toEqual(published);
    expect(ids(follower.events)).toEqual(published);
    expect(server.connections).toHaveLength(1);
  });

  it('hands the connection to another tab when the leader closes, losing and doubling nothing', async () => {
    const leader = openTab('user-1');
    await waitFor(() => leader.client.status === 'open', 'the leader open');
    const follower = openTab('user-1');
    await waitFor(() => follower.client.following && follower.client.status === 'open', 'following');
    const before = makeEvent();
    const lastCursor = server.publish(before);
    await waitFor(() => follower.events.length === 1, 'the relayed event');
    leader.client.close();
    const whileAlone = makeEvent();
    server.publish(whileAlone, { live: false });
    await waitFor(() => server.open.length === 1 && server.connections.length === 2, 'the new leader connected');
    const after = makeEvent();
    server.publish(after);
    await waitFor(() => follower.events.length === 3, 'every event');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ids(follower.events)).toEqual([before.id, whileAlone.id, after.id]);
    expect(server.connections[1]?.messages[0]).toEqual({ action: 'resume', after: lastCursor });
    expect(follower.client.following).toBe(false);
    expect(follower.client.status).toBe('open');
  });

  it("replays to a joining tab what was recorded since its page's data was loaded", async () => {
    const leader = openTab('user-1');
    await waitFor(() => leader.client.status === 'open', 'the leader open');
    const loadedAt = Date.now();
    const beforeJoining = makeEvent();
    server.publish(beforeJoining, { recordedAt: loadedAt + 1 });
    await waitFor(() => leader.events.length === 1, 'the event in the leader tab');
    const late = openTab('user-1', { since: loadedAt });
    await waitFor(() => late.events.length === 1, 'the replayed event in the joining tab');
    expect(late.client.following).toBe(true);
    expect(ids(late.events)).toEqual([beforeJoining.id]);
    expect(server.connections).toHaveLength(1);
    expect(server.connections[0]?.messages).toContainEqual({ action: 'resume', since: loadedAt });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ids(leader.events)).toEqual([beforeJoining.id]);
  });

  it('takes over without any event relayed yet by resuming since it joined', async () => {
    const leader = openTab('user-1');
    await waitFor(() => leader.client.status === 'open', 'the leader open');
    expect(server.connections[0]?.messages).toEqual([]);
    const follower = openTab('user-1');
    await waitFor(() => follower.client.following && follower.client.status === 'open', 'following');
    leader.client.close();
    const whileAlone = makeEvent();
    server.publish(whileAlone, { live: false });
    await waitFor(() => follower.events.length === 1, 'the event published during the takeover');
    expect(server.connections[1]?.messages[0]).toMatchObject({ action: 'resume', since: expect.any(Number) });
  });

  it('keeps one connection per identity', async () => {
    const admin = openTab('admin-1');
    const customer = openTab('customer-1');
    await waitFor(() => admin.client.status === 'open' && customer.client.status === 'open', 'both open');
    expect(server.connections).toHaveLength(2);
    expect(admin.client.following || customer.client.following).toBe(false);
  });

  it('keeps one connection per client with shareAcrossTabs: false', async () => {
    const first = openTab('user-1', { shareAcrossTabs: false });
    const second = openTab('user-1', { shareAcrossTabs: false });
    await waitFor(() => first.client.status === 'open' && second.client.status === 'open', 'both open');
    expect(server.connections).toHaveLength(2);
  });
});

describe('the sharing key', () => {
  it('is the same for two tokens of one identity and differs by identity, URL or an opaque token', () => {
    const url = 'wss://example.test/prod';
    const one = sharingKey(url, makeJwt(1_900_000_000, 'user-1'));
    expect(one).toBe(sharingKey(url, makeJwt(1_900_000_600, 'user-1')));
    expect(one).not.toBe(sharingKey(url, makeJwt(1_900_000_000, 'user-2')));
    expect(one).not.toBe(sharingKey('wss://example.test/dev', makeJwt(1_900_000_000, 'user-1')));
    expect(sharingKey(url, 'not-a-jwt')).toBeUndefined();
  });
});
