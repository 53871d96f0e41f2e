/**
 * One socket per browser, per identity: the tabs of an origin that connect to the same URL as the
 * same identity elect a leader with the Web Locks API; only the leader holds a socket, and it
 * relays what it receives to the other tabs over a `BroadcastChannel`. When the leader's tab
 * closes (or its client does), the lock passes to the next tab, which connects and resumes from
 * the last cursor it was relayed.
 */
import type { ConnectionStatus, RealtimeGap } from './client-types.js';
import { AlexHoRealtimeError, type RealtimeErrorCode } from './errors.js';
import type { Link } from './link.js';
import type { InvoiceEvent, ResumeEndFrame } from './types.js';

/** How long a token fetched to find the other tabs may still open this tab's first connection. */
const FRESH_TOKEN_MS = 5_000;

/** The two browser APIs tab sharing needs (the globals by default; injectable for tests). */
export interface TabSharingApis {
  locks: {
    request(name: string, options: { signal?: AbortSignal }, callback: () => Promise<void>): Promise<unknown>;
  };
  BroadcastChannel: new (name: string) => BroadcastChannel;
}

/**
 * What the leader tells the other tabs, and a new tab's `hello` (with the `since` option of a
 * page whose data was loaded before it joined: the leader replays what was recorded since then).
 */
export type TabMessage =
  | { kind: 'hello'; since?: number | undefined }
  | { kind: 'event'; event: InvoiceEvent; cursor: string }
  | { kind: 'resume-end'; frame: ResumeEndFrame }
  | {
      kind: 'status';
      status: ConnectionStatus;
      error?: { code: RealtimeErrorCode; message: string; serverCode?: string | undefined } | undefined;
    }
  | { kind: 'gap'; gap: RealtimeGap };

/**
 * The APIs to share with: `false` → none; an object → those; `true` → the globals, in a browser
 * page that has both (Node and older browsers fall back to one socket per client).
 */
export function tabSharingApis(option: boolean | TabSharingApis | undefined): TabSharingApis | undefined {
  if (option === false) return undefined;
  if (typeof option === 'object') return option;
  const scope = globalThis as {
    document?: unknown;
    navigator?: { locks?: TabSharingApis['locks'] };
    BroadcastChannel?: TabSharingApis['BroadcastChannel'];
  };
  const locks = scope.navigator?.locks;
  if (scope.document === undefined || locks === undefined || scope.BroadcastChannel === undefined) return undefined;
  return { locks, BroadcastChannel: scope.BroadcastChannel };
}

/** Claims that change from one token to the next without changing who it is for. */
const PER_TOKEN_CLAIMS = new Set(['exp', 'iat', 'nbf', 'jti']);

/**
 * The name tabs share under: the URL and the token's identity (its JWT claims but the per-token
 * ones, unverified: the server checks every token anyway). `undefined` for a token that is not a
 * JWT: such tabs keep one socket each.
 */
export function sharingKey(url: string, token: string): string | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/')));
  } catch {
    return undefined;
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return undefined;
  const identity = Object.entries(claims)
    .filter(([claim]) => !PER_TOKEN_CLAIMS.has(claim))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (identity.length === 0) return undefined;
  return `alexho-realtime:${fnv1a(`${url}\n${JSON.stringify(identity)}`)}`;
}

/** 64-bit FNV-1a as hex: a short, stable name (not a secret; channels are per origin anyway). */
function fnv1a(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

/** What a client does for its tab's part (see {@link TabMembership}). */
export interface TabHost {
  status(): ConnectionStatus;
  lastError(): AlexHoRealtimeError | undefined;
  closed(): boolean;
  /** The socket in use, when there is one. */
  current(): Link | undefined;
  /** This tab leads now: connect, with `token` when it is still fresh. */
  lead(token: string | undefined): void;
  /** The leader has followed since `at`: without a cursor, resume since then. */
  followedSince(at: number): void;
  /** Relayed by the leader: */
  event(event: InvoiceEvent, cursor: string): void;
  resumeEnded(frame: ResumeEndFrame): void;
  gap(gap: RealtimeGap): void;
  mirror(status: ConnectionStatus, error: AlexHoRealtimeError | undefined): void;
}

/**
 * A client's part among the tabs of its URL and identity: it follows (applies what the leader
 * relays) until it holds the lock, then leads (relays what its socket delivers, answers newcomers
 * and replays for those whose page loaded before they joined).
 */
export class TabMembership {
  readonly #host: TabHost;
  readonly #role: TabRole;
  readonly #joinedAt = Date.now();
  #heardLeader = false;
  /** A replay other tabs asked for before this leader's socket was open. */
  #replayOnOpen: number | undefined;

  /** Joins under `key`; `token` (just fetched) opens the first connection if it leads at once. */
  constructor(apis: TabSharingApis, key: string, token: string, since: number | undefined, host: TabHost) {
    this.#host = host;
    this.#role = new TabRole(apis, key, {
      lead: () => {
        if (host.closed()) return;
        // Relayed events started when it joined: without a cursor yet, it resumes since then.
        if (this.#heardLeader) host.followedSince(this.#joinedAt);
        host.lead(Date.now() - this.#joinedAt < FRESH_TOKEN_MS ? token : undefined);
      },
      message: (message) => this.#received(message),
    });
    this.#role.post({ kind: 'hello', since });
  }

  get following(): boolean {
    return !this.#role.leading;
  }

  /** Relays `message` when this tab leads. */
  relay(message: TabMessage): void {
    if (this.#role.leading) this.#role.post(message);
  }

  /** Relays this client's status and error when it leads. */
  relayStatus(status: ConnectionStatus = this.#host.status()): void {
    const error = this.#host.lastError();
    this.relay({
      kind: 'status',
      status,
      error:
        error === undefined ? undefined : { code: error.code, message: error.message, serverCode: error.serverCode },
    });
  }

  /** The leader's socket opened: the replay newcomers asked for meanwhile. */
  opened(link: Link): void {
    if (this.#replayOnOpen === undefined) return;
    link.send({ action: 'resume', since: this.#replayOnOpen });
    this.#replayOnOpen = undefined;
  }

  /** Leaves: the others learn the socket is gone, and the next tab leads. */
  leave(): void {
    this.relayStatus('reconnecting');
    this.#role.release();
  }

  #received(message: TabMessage): void {
    const host = this.#host;
    if (host.closed()) return;
    if (message.kind === 'hello') {
      if (!this.#role.leading) return;
      this.relayStatus();
      if (message.since !== undefined) this.#replay(message.since);
      return;
    }
    if (this.#role.leading) return;
    this.#heardLeader = true;
    switch (message.kind) {
      case 'event':
        host.event(message.event, message.cursor);
        return;
      case 'resume-end':
        host.resumeEnded(message.frame);
        return;
      case 'gap':
        host.gap(message.gap);
        return;
      case 'status': {
        const { error } = message;
        // A leader that closed or has not connected yet: this tab waits for the socket.
        const status = message.status === 'closed' || message.status === 'idle' ? 'reconnecting' : message.status;
        host.mirror(status, error && new AlexHoRealtimeError(error.code, error.message, error.serverCode));
        return;
      }
    }
  }

  /**
   * Replays on the leader's socket what was recorded since `since`, for a tab whose page loaded
   * before it joined (its events are relayed; every tab drops what it already has by id).
   */
  #replay(since: number): void {
    const link = this.#host.current();
    if (link?.isOpen === true && link.send({ action: 'resume', since })) return;
    this.#replayOnOpen = Math.min(since, this.#replayOnOpen ?? since);
  }
}

interface TabRoleHandlers {
  /** This tab holds the lock now: it connects, and relays. */
  lead(): void;
  /** A message of another tab. */
  message(message: TabMessage): void;
}

/** The lock and the channel: waiting for the lock (following), then leading until released. */
class TabRole {
  readonly #channel: BroadcastChannel;
  readonly #abort = new AbortController();
  #leading = false;
  #release: (() => void) | undefined;
  #released = false;

  constructor(apis: TabSharingApis, key: string, handlers: TabRoleHandlers) {
    this.#channel = new apis.BroadcastChannel(key);
    this.#channel.onmessage = (message: MessageEvent) => {
      if (!this.#released) handlers.message(message.data as TabMessage);
    };
    apis.locks
      .request(key, { signal: this.#abort.signal }, () => {
        if (this.#released) return Promise.resolve();
        this.#leading = true;
        handlers.lead();
        return new Promise<void>((resolve) => {
          this.#release = resolve;
        });
      })
      .catch(() => undefined); // AbortError: released while waiting.
  }

  get leading(): boolean {
    return this.#leading;
  }

  post(message: TabMessage): void {
    if (!this.#released) this.#channel.postMessage(message);
  }

  /** Leaves: gives up the lock (the next tab leads) or the place in its queue. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#abort.abort();
    this.#release?.();
    this.#channel.close();
  }
}
