/**
 * The client's options, their defaults and their validation: everything the client reads once,
 * when it is created.
 */
import type { BackoffPolicy } from './backoff.js';
import type { WebSocketConstructor } from './link.js';
import type { TabSharingApis } from './tab-sharing.js';

/** Where the browser's `online`/`offline` and `visibilitychange` events come from. */
export interface BrowserSignals {
  /** Fires `online` and `offline` (default: `window`). */
  window?: EventTarget;
  /** Fires `visibilitychange` and has `visibilityState` (default: `document`). */
  document?: EventTarget & { visibilityState?: string };
  /** Whether the network is up (default: `navigator.onLine`). */
  isOnline?: () => boolean;
}

export interface AlexHoClientOptions {
  /** The WebSocket URL: `wss://{api-id}.execute-api.{region}.amazonaws.com/{stage}`. */
  url: string;
  /** Called before every connection attempt (and token refresh); connect tokens are short-lived. */
  getToken: () => string | Promise<string>;
  /**
   * `subprotocol` (default) offers `['alexho-invoice.v1', token]`; `query` appends `?token=` for
   * clients that cannot set subprotocols (the token then shows in URLs and access logs).
   */
  tokenTransport?: 'subprotocol' | 'query';
  /** Backoff between reconnects (default: up to 1 s, doubling, at most 30 s). */
  backoff?: Partial<BackoffPolicy>;
  /** Backoff in an `unauthorized`/`unavailable` state (default: up to 10 s, doubling, at most 5 min). */
  errorBackoff?: Partial<BackoffPolicy>;
  /** A connection open this long resets the backoff and the error state (default 30 s). */
  stableAfterMs?: number;
  /** A close within this time of opening counts as an early close (default 5 s). */
  earlyCloseMs?: number;
  /** Consecutive failed handshakes or early closes before the error state (default 3). */
  failureThreshold?: number;
  /** Ping interval, well inside API Gateway's 10-minute idle limit (default 4 min). */
  pingIntervalMs?: number;
  /** A `pong` later than this marks the connection dead (default 10 s). */
  pongTimeoutMs?: number;
  /** A handshake longer than this fails (default 15 s). */
  handshakeTimeoutMs?: number;
  /** Age at which the client moves to a new connection, before the 2-hour cap (default 110 min). */
  maxConnectionAgeMs?: number;
  /** How long before a JWT's `exp` to send `refresh` (default 15 s). */
  refreshMarginMs?: number;
  /** A `refresh` unanswered this long leads to a handover (default 10 s). */
  refreshTimeoutMs?: number;
  /** How many recent event ids are kept for de-duplication (default 1000). */
  dedupCapacity?: number;
  /** Random numbers in [0, 1) for the jitter (default `Math.random`). */
  random?: () => number;
  /** The WebSocket class (default: the global `WebSocket`). */
  WebSocket?: WebSocketConstructor;
  /** Browser signals to follow; `false` to ignore them (default: `window` and `document` if present). */
  browserSignals?: BrowserSignals | false;
  /**
   * When the page's data was loaded (epoch ms, e.g. `Date.now()` where the list was fetched): the
   * first connection replays every event recorded since then (`resume` `since`), so nothing
   * published between the fetch and the socket opening is lost. Later resumes continue after the
   * last cursor.
   */
  since?: number;
  /**
   * One socket per browser, per identity (default `true`): tabs of this origin that connect to
   * the same URL as the same identity (the token's JWT claims) share one connection, held by a
   * leader tab and relayed to the others. `false` keeps one socket per client. Needs the Web
   * Locks API and `BroadcastChannel` in a page; without them each client has its own socket.
   */
  shareAcrossTabs?: boolean | TabSharingApis;
}

/** The timing and transport options, with their defaults applied. */
export type ClientSettings = Required<
  Omit<
    AlexHoClientOptions,
    | 'url'
    | 'getToken'
    | 'backoff'
    | 'errorBackoff'
    | 'browserSignals'
    | 'WebSocket'
    | 'random'
    | 'since'
    | 'shareAcrossTabs'
  >
>;

/** The options once checked, with every default applied. */
export interface ResolvedOptions {
  url: string;
  getToken: () => string | Promise<string>;
  since: number | undefined;
  settings: ClientSettings;
  backoff: BackoffPolicy;
  errorBackoff: BackoffPolicy;
  random: () => number;
  WebSocket: WebSocketConstructor | undefined;
  signals: BrowserSignals | false | undefined;
  shareAcrossTabs: boolean | TabSharingApis;
}

const DEFAULTS: ClientSettings = {
  tokenTransport: 'subprotocol',
  stableAfterMs: 30_000,
  earlyCloseMs: 5_000,
  failureThreshold: 3,
  pingIntervalMs: 240_000,
  pongTimeoutMs: 10_000,
  handshakeTimeoutMs: 15_000,
  maxConnectionAgeMs: 110 * 60_000,
  refreshMarginMs: 15_000,
  refreshTimeoutMs: 10_000,
  dedupCapacity: 1000,
};
const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 30_000 };
const DEFAULT_ERROR_BACKOFF: BackoffPolicy = { baseMs: 10_000, capMs: 300_000 };

/** Checks `options` (a `TypeError` that says what is wrong) and applies the defaults. */
export function resolveOptions(options: AlexHoClientOptions): ResolvedOptions {
  const urlProblem = urlProblemOf(options.url);
  if (urlProblem !== undefined) throw new TypeError(`AlexHoWebSocketClient: ${urlProblem}`);
  if (typeof options.getToken !== 'function') {
    throw new TypeError('AlexHoWebSocketClient: getToken must be a function returning a token');
  }
  if (options.since !== undefined && !(Number.isSafeInteger(options.since) && options.since >= 0)) {
    throw new TypeError('AlexHoWebSocketClient: since must be epoch milliseconds (an integer >= 0)');
  }
  const settings = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as (keyof ClientSettings)[]) {
    const value = options[key];
    if (value !== undefined) Object.assign(settings, { [key]: value });
  }
  return {
    url: options.url,
    getToken: options.getToken,
    since: options.since,
    settings,
    backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
    errorBackoff: { ...DEFAULT_ERROR_BACKOFF, ...options.errorBackoff },
    random: options.random ?? Math.random,
    WebSocket: options.WebSocket,
    signals: options.browserSignals,
    shareAcrossTabs: options.shareAcrossTabs ?? true,
  };
}

/** What is wrong with `url` (a message naming the value's kind, never the value), if anything. */
function urlProblemOf(url: unknown): string | undefined {
  if (url === undefined || url === null || url === '') {
    return `url is ${url === '' ? 'empty' : String(url)}: pass the WebSocket URL (with Next.js, is the NEXT_PUBLIC_* variable set when the app is built?)`;
  }
  if (typeof url !== 'string') return `url must be a string, not ${typeof url}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'url is not a valid URL (expected ws:// or wss://)';
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    return `url must be a ws:// or wss:// URL, not ${parsed.protocol}//`;
  }
  return undefined;
}

/** True for `localhost`, `*.localhost`, 127.0.0.0/8 and `[::1]`: reachable with no network. */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  );
}
