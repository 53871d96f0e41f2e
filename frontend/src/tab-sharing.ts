/**
 * One socket per browser, per identity: the tabs of an origin that connect to the same URL as the
 * same identity elect a leader with the Web Locks API; only the leader holds a socket, and it
 * relays what it receives to the other tabs over a `BroadcastChannel`. When the leader's tab
 * closes (or its client does), the lock passes to the next tab, which connects and resumes from
 * the last cursor it was relayed.
 */
import type { ConnectionStatus, RealtimeGap } from './client-types.js';
import type { RealtimeErrorCode } from './errors.js';
import type { InvoiceEvent, ResumeEndFrame } from './types.js';

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

export interface TabRoleHandlers {
  /** This tab holds the lock now: it connects, and relays. */
  lead(): void;
  /** A message of another tab. */
  message(message: TabMessage): void;
}

/** One client's place among the tabs: waiting for the lock (following), then leading until released. */
export class TabRole {
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
