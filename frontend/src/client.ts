/**
 * `AlexHoWebSocketClient`: the WebSocket protocol of AlexHo Invoice Realtime for any framework,
 * in browsers and in Node 22+ (global `WebSocket`). No runtime dependency, nothing touched at
 * import time.
 *
 * What it does for the application: a fresh token for every connection attempt, reconnects with
 * jittered backoff, `ping` with a `pong` deadline, token refresh before a JWT expires, a gapless
 * handover to a new connection before API Gateway's 2-hour cap, `resume` from the last cursor
 * after every reconnect, and de-duplication of events by `id`.
 */
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import { RecentIds } from './dedup.js';
import type { ParsedFrame } from './frames.js';
import { tokenExpiryMs } from './jwt.js';
import { CLOSE_CODES, Link, type LinkEnd, type WebSocketConstructor } from './link.js';
import { Listeners } from './listeners.js';
import {
  SUBPROTOCOL,
  type InvoiceEvent,
  type InvoiceEventType,
  type ResumeEndFrame,
  type ResumeMessage,
} from './types.js';

export type { WebSocketConstructor } from './link.js';

/**
 * `idle` before `connect()`; `connecting` during the first attempt; `open`; `reconnecting` from
 * the first failed attempt or lost connection until a connection opens; `closed` after `close()`,
 * or after an `unsupported` error (`lastError` says why).
 */
export type ConnectionStatus = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/**
 * - `unauthorized`: handshakes failed several times in a row (a refused token, or no server to
 *   answer: a browser cannot tell the two apart), or `getToken()` failed;
 * - `unavailable`: connections closed soon after opening, several times in a row;
 * - `protocol`: the server did not echo the subprotocol;
 * - `server`: the server answered an `error` frame (the connection stays);
 * - `token`: `getToken()` threw (the message includes its message, `cause` is what it threw) or
 *   returned something that is not a non-empty string;
 * - `unsupported`: a permanent problem, retrying cannot help (no `WebSocket` implementation, or
 *   the `WebSocket` constructor refused the URL): the client stops (`closed`).
 */
export type RealtimeErrorCode = 'unauthorized' | 'unavailable' | 'protocol' | 'server' | 'token' | 'unsupported';

/** An error the client reports in `lastError`; its message never contains a token. */
export class AlexHoRealtimeError extends Error {
  override readonly name = 'AlexHoRealtimeError';

  constructor(
    readonly code: RealtimeErrorCode,
    message: string,
    /** For `server` errors: the code of the `error` frame. */
    readonly serverCode?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

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
}

/** Delivery details of an event. */
export interface EventMeta {
  cursor: string;
}

export type EventListener = (event: InvoiceEvent, meta: EventMeta) => void;
export type StatusListener = (status: ConnectionStatus, error: AlexHoRealtimeError | undefined) => void;
/** A frame that was ignored: not JSON, not the contract, or of a type this client does not know. */
export type IgnoredListener = (ignored: { kind: 'malformed' | 'unknown'; problem: string }) => void;
export type ResumeListener = (resumeEnd: ResumeEndFrame) => void;

/**
 * Why the client cannot prove it missed nothing:
 * - `truncated`: a resume reached beyond the server's retention;
 * - `resume-failed`: the server answered a resume with an `error` frame (`serverCode`);
 * - `handover-unconfirmed`: a handover to a new connection ended without its resume's answer.
 */
export type GapReason = 'truncated' | 'resume-failed' | 'handover-unconfirmed';

/** A moment after which events may be missing: the application should refetch its state. */
export interface RealtimeGap {
  reason: GapReason;
  /** When the client noticed it (epoch ms). */
  at: number;
  /** For `resume-failed`: the code of the `error` frame. */
  serverCode?: string;
}

export type GapListener = (gap: RealtimeGap) => void;

/** Counters of what the client ignored or did. */
export interface ClientStats {
  malformedFrames: number;
  unknownFrames: number;
  duplicateEvents: number;
  errorFrames: number;
  /** Connection attempts after the first. */
  reconnects: number;
  /** Completed handovers to a new connection (max age, refused or unanswered refresh). */
  handovers: number;
  /** Tokens refreshed on an open connection. */
  refreshes: number;
  /** Gaps reported to `onGap`. */
  gaps: number;
}

const DEFAULTS = {
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
} as const;
const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 30_000 };
const DEFAULT_ERROR_BACKOFF: BackoffPolicy = { baseMs: 10_000, capMs: 300_000 };
/** A refresh is never planned sooner than this, whatever the token says. */
const MIN_REFRESH_DELAY_MS = 1_000;
/** The `error` code that answers a `refresh` with no. */
const REFRESH_REFUSED = 'refresh-refused';
/** The `error` code of a server that predates `refresh` (and does not close expired connections). */
const UNKNOWN_ACTION = 'unknown-action';

type Timer = ReturnType<typeof setTimeout>;

/** The next reconnect: its number since the last stable connection, its delay and when it fires. */
export interface RetryPlan {
  attempt: number;
  delayMs: number;
  /** Epoch ms. */
  at: number;
}

interface PendingRefresh {
  link: Link;
  token: string;
  deadline: Timer;
}

/** A WebSocket client for invoice events. */
export class AlexHoWebSocketClient {
  readonly #url: string;
  readonly #getToken: () => string | Promise<string>;
  readonly #settings: Required<
    Omit<
      AlexHoClientOptions,
      'url' | 'getToken' | 'backoff' | 'errorBackoff' | 'browserSignals' | 'WebSocket' | 'random' | 'since'
    >
  >;
  readonly #backoff: BackoffPolicy;
  readonly #errorBackoff: BackoffPolicy;
  readonly #random: () => number;
  readonly #WebSocket: WebSocketConstructor | undefined;
  readonly #signals: BrowserSignals | false | undefined;
  /** A loopback URL is always worth a try, whatever the browser says about the network. */
  readonly #loopback: boolean;

  #status: ConnectionStatus = 'idle';
  #lastError: AlexHoRealtimeError | undefined;
  #lastEventAt: number | undefined;
  #cursor: string | undefined;
  readonly #recent: RecentIds;
  readonly #stats: ClientStats = {
    malformedFrames: 0,
    unknownFrames: 0,
    duplicateEvents: 0,
    errorFrames: 0,
    reconnects: 0,
    handovers: 0,
    refreshes: 0,
    gaps: 0,
  };
  /** The `since` option; the first open time once a connection has opened without one. */
  #since: number | undefined;
  /** Links whose `resume` has not been answered by its final `resume-end` yet. */
  readonly #resuming = new WeakSet<Link>();

  /** The connection in use (open or still opening). */
  #current: Link | undefined;
  /** The connection being handed over to, while `#current` still delivers. */
  #next: Link | undefined;
  /** Incremented to cancel an attempt that is waiting for its token. */
  #attemptSerial = 0;
  #opening = false;
  #handoverOpening = false;
  #attempt = 0;
  #handoverAttempt = 0;
  #refusals = 0;
  #earlyCloses = 0;
  #errorState: 'unauthorized' | 'unavailable' | undefined;
  #reconnectTimer: Timer | undefined;
  #stableTimer: Timer | undefined;
  #ageTimer: Timer | undefined;
  #refreshTimer: Timer | undefined;
  #handoverTimer: Timer | undefined;
  #pendingRefresh: PendingRefresh | undefined;
  #refreshUnsupported = false;
  /**
   * What the browser says of the network: `reported` offline when the client started (a state
   * browsers misreport: VPNs, captive portals, a machine with only loopback), `signalled` by an
   * `offline` event (a change just seen). A connection that opens disproves either.
   */
  #offline: 'no' | 'reported' | 'signalled' = 'no';
  #retry: RetryPlan | undefined;
  #removeSignalListeners: (() => void) | undefined;

  readonly #eventListeners = new Listeners<[InvoiceEvent, EventMeta]>();
  readonly #statusListeners = new Listeners<[ConnectionStatus, AlexHoRealtimeError | undefined]>();
  readonly #ignoredListeners = new Listeners<[{ kind: 'malformed' | 'unknown'; problem: string }]>();
  readonly #resumeListeners = new Listeners<[ResumeEndFrame]>();
  readonly #gapListeners = new Listeners<[RealtimeGap]>();

  constructor(options: AlexHoClientOptions) {
    const urlProblem = urlProblemOf(options.url);
    if (urlProblem !== undefined) throw new TypeError(`AlexHoWebSocketClient: ${urlProblem}`);
    if (typeof options.getToken !== 'function') {
      throw new TypeError('AlexHoWebSocketClient: getToken must be a function returning a token');
    }
    if (options.since !== undefined && !(Number.isSafeInteger(options.since) && options.since >= 0)) {
      throw new TypeError('AlexHoWebSocketClient: since must be epoch milliseconds (an integer >= 0)');
    }
    this.#url = options.url;
    this.#since = options.since;
    this.#getToken = options.getToken;
    this.#settings = {
      tokenTransport: options.tokenTransport ?? DEFAULTS.tokenTransport,
      stableAfterMs: options.stableAfterMs ?? DEFAULTS.stableAfterMs,
      earlyCloseMs: options.earlyCloseMs ?? DEFAULTS.earlyCloseMs,
      failureThreshold: options.failureThreshold ?? DEFAULTS.failureThreshold,
      pingIntervalMs: options.pingIntervalMs ?? DEFAULTS.pingIntervalMs,
      pongTimeoutMs: options.pongTimeoutMs ?? DEFAULTS.pongTimeoutMs,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs,
      maxConnectionAgeMs: options.maxConnectionAgeMs ?? DEFAULTS.maxConnectionAgeMs,
      refreshMarginMs: options.refreshMarginMs ?? DEFAULTS.refreshMarginMs,
      refreshTimeoutMs: options.refreshTimeoutMs ?? DEFAULTS.refreshTimeoutMs,
      dedupCapacity: options.dedupCapacity ?? DEFAULTS.dedupCapacity,
    };
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#errorBackoff = { ...DEFAULT_ERROR_BACKOFF, ...options.errorBackoff };
    this.#random = options.random ?? Math.random;
    this.#WebSocket = options.WebSocket;
    this.#signals = options.browserSignals;
    this.#loopback = isLoopbackUrl(options.url);
    this.#recent = new RecentIds(this.#settings.dedupCapacity);
  }

  // ---- State for UIs ---------------------------------------------------------------------------

  get status(): ConnectionStatus {
    return this.#status;
  }

  /** The last error, cleared once a connection has stayed up (`stableAfterMs`). */
  get lastError(): AlexHoRealtimeError | undefined {
    return this.#lastError;
  }

  /** When the last new event arrived (epoch ms). */
  get lastEventAt(): number | undefined {
    return this.#lastEventAt;
  }

  /** The cursor of the newest event frame received; the next `resume` starts after it. */
  get cursor(): string | undefined {
    return this.#cursor;
  }

  get stats(): Readonly<ClientStats> {
    return { ...this.#stats };
  }

  /** The pending reconnect while the client waits to retry (for "retrying in 5 s"). */
  get retry(): RetryPlan | undefined {
    return this.#retry;
  }

  /** How many sockets are open or opening (2 only during a handover). */
  get socketCount(): number {
    return (this.#current === undefined ? 0 : 1) + (this.#next === undefined ? 0 : 1);
  }

  // ---- Subscriptions ---------------------------------------------------------------------------

  /** Every new event (after de-duplication). Returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    return this.#eventListeners.add(listener);
  }

  /** New events of one type. */
  subscribeType<T extends InvoiceEventType>(
    type: T,
    listener: (event: InvoiceEvent<T>, meta: EventMeta) => void,
  ): () => void {
    return this.#eventListeners.add((event, meta) => {
      if (event.type === type) listener(event as InvoiceEvent<T>, meta);
    });
  }

  /** New events of one invoice. */
  subscribeInvoice(invoiceId: string, listener: EventListener): () => void {
    return this.#eventListeners.add((event, meta) => {
      if (event.data.invoiceId === invoiceId) listener(event, meta);
    });
  }

  /** Status and error changes. */
  onStatus(listener: StatusListener): () => void {
    return this.#statusListeners.add(listener);
  }

  /** Frames that were ignored (also counted in `stats`). */
  onIgnored(listener: IgnoredListener): () => void {
    return this.#ignoredListeners.add(listener);
  }

  /** The end of each `resume`; `truncated: true` means events may be missing (refetch state). */
  onResume(listener: ResumeListener): () => void {
    return this.#resumeListeners.add(listener);
  }

  /** Moments after which events may be missing (refetch the application's state then). */
  onGap(listener: GapListener): () => void {
    return this.#gapListeners.add(listener);
  }

  // ---- Lifecycle -------------------------------------------------------------------------------

  /** Starts connecting; later calls do nothing. Throws after `close()`. */
  connect(): void {
    if (this.#status === 'closed') throw new Error('AlexHoWebSocketClient: closed for good; create a new client');
    if (this.#status !== 'idle') return;
    this.#listenToSignals();
    this.#setStatus('connecting');
    void this.#openCurrent();
  }

  /** Stops for good on a permanent error, which stays as `lastError`. */
  #stopFor(error: AlexHoRealtimeError): void {
    this.#lastError = error;
    this.close();
  }

  /** Closes every socket, cancels every timer and stops for good. */
  close(): void {
    if (this.#status === 'closed') return;
    this.#attemptSerial++;
    this.#removeSignalListeners?.();
    this.#removeSignalListeners = undefined;
    this.#clearConnectionTimers();
    clearTimeout(this.#reconnectTimer);
    clearTimeout(this.#handoverTimer);
    this.#reconnectTimer = this.#handoverTimer = undefined;
    this.#retry = undefined;
    this.#current?.close(CLOSE_CODES.normal, 'client closed');
    this.#next?.close(CLOSE_CODES.normal, 'client closed');
    this.#current = this.#next = undefined;
    this.#setStatus('closed');
  }

  // ---- Opening sockets -------------------------------------------------------------------------

  async #token(): Promise<string> {
    let token: unknown;
    try {
      token = await this.#getToken();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new AlexHoRealtimeError('token', `getToken() failed: ${message}`, undefined, { cause: error });
    }
    if (typeof token !== 'string' || token.length === 0) {
      throw new AlexHoRealtimeError('token', 'getToken() must return a non-empty string');
    }
    return token;
  }

  #createLink(token: string): Link {
    const WebSocketClass = this.#WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (WebSocketClass === undefined) {
      throw new AlexHoRealtimeError(
        'unsupported',
        'no WebSocket implementation: use a browser or Node 22+, or pass one as the WebSocket option (e.g. the ws package)',
      );
    }
    const query = this.#settings.tokenTransport === 'query';
    const url = query
      ? `${this.#url}${this.#url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`
      : this.#url;
    let ws: WebSocket;
    try {
      ws = new WebSocketClass(url, query ? [SUBPROTOCOL] : [SUBPROTOCOL, token]);
    } catch (error) {
      // SyntaxError (a URL the runtime does not accept), SecurityError (a page policy): permanent.
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new AlexHoRealtimeError('unsupported', `the WebSocket could not be created (${reason})`, undefined, {
        cause: error,
      });
    }
    return new Link(ws, token, this.#linkHandlers, {
      pingIntervalMs: this.#settings.pingIntervalMs,
      pongTimeoutMs: this.#settings.pongTimeoutMs,
      handshakeTimeoutMs: this.#settings.handshakeTimeoutMs,
    });
  }

  /** Opens the connection in use; only when there is none. */
  async #openCurrent(): Promise<void> {
    if (this.#current !== undefined || this.#opening) return;
    const serial = ++this.#attemptSerial;
    this.#opening = true;
    let link: Link;
    try {
      const token = await this.#token();
      if (serial !== this.#attemptSerial || this.#status === 'closed' || this.#current !== undefined) return;
      link = this.#createLink(token);
    } catch (error) {
      if (serial !== this.#attemptSerial || this.#status === 'closed') return;
      if (error instanceof AlexHoRealtimeError && error.code === 'unsupported') {
        this.#stopFor(error);
        return;
      }
      this.#refusals++;
      this.#setError(asRealtimeError(error));
      this.#updateErrorState();
      this.#scheduleReconnect();
      return;
    } finally {
      if (serial === this.#attemptSerial) this.#opening = false;
    }
    this.#current = link;
  }

  /** Opens the next connection of a handover while the current one keeps delivering. */
  async #openNext(): Promise<void> {
    if (this.#next !== undefined || this.#handoverOpening || this.#current?.isOpen !== true) return;
    const current = this.#current;
    this.#handoverOpening = true;
    try {
      const token = await this.#token();
      if (this.#status === 'closed' || this.#current !== current || this.#next !== undefined) return;
      this.#next = this.#createLink(token);
    } catch (error) {
      if (this.#status === 'closed') return;
      this.#setError(asRealtimeError(error));
      this.#scheduleHandoverRetry();
    } finally {
      this.#handoverOpening = false;
    }
  }

  readonly #linkHandlers = {
    onOpen: (link: Link) => this.#linkOpened(link),
    onFrame: (link: Link, parsed: ParsedFrame) => this.#frameReceived(link, parsed),
    onEnd: (link: Link, end: LinkEnd) => this.#linkEnded(link, end),
  };

  #linkOpened(link: Link): void {
    if (link === this.#next) {
      // Handover: catch up on the new socket; the old one closes at the end of the resume, or
      // after a pong's deadline without one (both sockets receive live events meanwhile).
      if (!this.#sendResume(link)) {
        this.#completeHandover();
      } else {
        this.#handoverTimer = setTimeout(() => {
          if (this.#resuming.has(link)) this.#reportGap({ reason: 'handover-unconfirmed' });
          this.#completeHandover();
        }, this.#settings.pongTimeoutMs);
      }
      return;
    }
    if (link !== this.#current) return;
    this.#offline = 'no';
    this.#refusals = 0;
    if (this.#errorState === 'unauthorized') this.#errorState = undefined;
    if (
      this.#lastError?.code === 'unauthorized' ||
      this.#lastError?.code === 'token' ||
      this.#lastError?.code === 'protocol'
    ) {
      this.#lastError = undefined;
    }
    this.#startConnectionTimers(link);
    this.#setStatus('open');
    this.#sendResume(link);
    // From now on a connection that opens without a cursor resumes since this one opened.
    this.#since ??= link.openedAt;
  }

  /** Sends `resume` from the cursor, else since `#since`; false when there is nothing to resume. */
  #sendResume(link: Link): boolean {
    const message: ResumeMessage | undefined =
      this.#cursor !== undefined
        ? { action: 'resume', after: this.#cursor }
        : this.#since !== undefined
          ? { action: 'resume', since: this.#since }
          : undefined;
    if (message === undefined || !link.send(message)) return false;
    this.#resuming.add(link);
    return true;
  }

  #reportGap(gap: Omit<RealtimeGap, 'at'>): void {
    this.#stats.gaps++;
    this.#gapListeners.emit({ ...gap, at: Date.now() });
  }

  #linkEnded(link: Link, end: LinkEnd): void {
    if (this.#status === 'closed') return;
    if (link === this.#next) {
      this.#next = undefined;
      this.#scheduleHandoverRetry();
      return;
    }
    if (link !== this.#current) return;
    this.#current = undefined;
    this.#clearConnectionTimers();
    if (end.reason === 'subprotocol-missing') {
      this.#setError(new AlexHoRealtimeError('protocol', `the server did not accept the ${SUBPROTOCOL} subprotocol`));
    }
    if (!end.opened) {
      this.#refusals++;
    } else if (link.openedAt !== undefined && Date.now() - link.openedAt < this.#settings.earlyCloseMs) {
      this.#earlyCloses++;
    }
    this.#updateErrorState();
    if (this.#next !== undefined) {
      // A handover was under way: its socket takes over (it resumes from the cursor when open).
      const next = this.#next;
      this.#next = undefined;
      this.#current = next;
      if (next.isOpen) {
        this.#startConnectionTimers(next);
        this.#stats.handovers++;
        this.#setStatus('open');
      } else {
        this.#setStatus('reconnecting');
      }
      return;
    }
    this.#setStatus('reconnecting');
    this.#scheduleReconnect();
  }

  #updateErrorState(): void {
    const threshold = this.#settings.failureThreshold;
    if (this.#refusals >= threshold) {
      this.#errorState = 'unauthorized';
      if (this.#lastError?.code !== 'token' && this.#lastError?.code !== 'protocol') {
        this.#setError(
          new AlexHoRealtimeError(
            'unauthorized',
            `${this.#refusals} connection attempts in a row were refused or failed before opening (check the token and the URL${this.#offline === 'no' ? '' : '; the browser reports being offline'})`,
          ),
        );
      }
    } else if (this.#earlyCloses >= threshold) {
      this.#errorState = 'unavailable';
      this.#setError(
        new AlexHoRealtimeError('unavailable', `${this.#earlyCloses} connections in a row closed soon after opening`),
      );
    }
  }

  #scheduleReconnect(): void {
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    if (this.#status === 'closed') return;
    this.#setStatus('reconnecting');
    const policy = this.#errorState === undefined ? this.#backoff : this.#errorBackoff;
    // Offline is a hint, never a reason to stop: the backoff pauses at its slowest pace until the
    // browser says `online` (which retries at once). A loopback URL ignores an offline state the
    // browser merely reports (no network but loopback); an `offline` event pauses it too.
    const paused = this.#offline === 'signalled' || (this.#offline === 'reported' && !this.#loopback);
    const delay = paused ? policy.capMs : backoffDelay(policy, this.#attempt, this.#random);
    this.#retry = { attempt: this.#attempt, delayMs: delay, at: Date.now() + delay };
    if (!paused) this.#attempt++;
    this.#reconnectTimer = setTimeout(() => this.#reconnectNow(), delay);
  }

  #reconnectNow(): void {
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    this.#retry = undefined;
    if (this.#status === 'closed' || this.#current !== undefined || this.#opening) return;
    this.#stats.reconnects++;
    void this.#openCurrent();
  }

  // ---- Per-connection timers: stable, max age, refresh -----------------------------------------

  #startConnectionTimers(link: Link): void {
    this.#clearConnectionTimers();
    const openedAt = link.openedAt ?? Date.now();
    const stableIn = Math.max(0, openedAt + this.#settings.stableAfterMs - Date.now());
    this.#stableTimer = setTimeout(() => {
      this.#attempt = 0;
      this.#earlyCloses = 0;
      this.#refusals = 0;
      this.#errorState = undefined;
      if (this.#lastError !== undefined) this.#setError(undefined);
    }, stableIn);
    const handoverIn = Math.max(0, openedAt + this.#settings.maxConnectionAgeMs - Date.now());
    this.#ageTimer = setTimeout(() => this.#startHandover(), handoverIn);
    this.#scheduleRefresh(link, tokenExpiryMs(link.token));
  }

  #clearConnectionTimers(): void {
    clearTimeout(this.#stableTimer);
    clearTimeout(this.#ageTimer);
    clearTimeout(this.#refreshTimer);
    this.#stableTimer = this.#ageTimer = this.#refreshTimer = undefined;
    if (this.#pendingRefresh !== undefined) {
      clearTimeout(this.#pendingRefresh.deadline);
      this.#pendingRefresh = undefined;
    }
  }

  #scheduleRefresh(link: Link, expiresAtMs: number | undefined): void {
    clearTimeout(this.#refreshTimer);
    this.#refreshTimer = undefined;
    if (expiresAtMs === undefined || this.#refreshUnsupported) return;
    const delay = Math.max(MIN_REFRESH_DELAY_MS, expiresAtMs - this.#settings.refreshMarginMs - Date.now());
    this.#refreshTimer = setTimeout(() => void this.#refresh(link), delay);
  }

  async #refresh(link: Link): Promise<void> {
    this.#refreshTimer = undefined;
    let token: string;
    try {
      token = await this.#token();
    } catch (error) {
      if (link !== this.#current || this.#status === 'closed') return;
      this.#setError(asRealtimeError(error));
      this.#startHandover();
      return;
    }
    if (link !== this.#current || !link.isOpen || this.#pendingRefresh !== undefined) return;
    if (!link.send({ action: 'refresh', token })) return;
    const deadline = setTimeout(() => {
      this.#pendingRefresh = undefined;
      this.#startHandover();
    }, this.#settings.refreshTimeoutMs);
    this.#pendingRefresh = { link, token, deadline };
  }

  // ---- Handover --------------------------------------------------------------------------------

  #startHandover(): void {
    clearTimeout(this.#handoverTimer);
    this.#handoverTimer = undefined;
    if (this.#status === 'closed') return;
    void this.#openNext();
  }

  #scheduleHandoverRetry(): void {
    clearTimeout(this.#handoverTimer);
    if (this.#status === 'closed') return;
    const delay = backoffDelay(this.#backoff, this.#handoverAttempt, this.#random);
    this.#handoverAttempt++;
    this.#handoverTimer = setTimeout(() => this.#startHandover(), delay);
  }

  #completeHandover(): void {
    const next = this.#next;
    if (next === undefined || !next.isOpen) return;
    clearTimeout(this.#handoverTimer);
    this.#handoverTimer = undefined;
    const old = this.#current;
    this.#next = undefined;
    this.#current = next;
    this.#handoverAttempt = 0;
    this.#stats.handovers++;
    old?.close(CLOSE_CODES.normal, 'handover');
    this.#startConnectionTimers(next);
    this.#setStatus('open');
  }

  // ---- Frames ----------------------------------------------------------------------------------

  #frameReceived(link: Link, parsed: ParsedFrame): void {
    if (this.#status === 'closed') return;
    if (parsed.kind !== 'frame') {
      if (parsed.cursor !== undefined) this.#advanceCursor(parsed.cursor);
      if (parsed.kind === 'malformed') this.#stats.malformedFrames++;
      else this.#stats.unknownFrames++;
      this.#ignoredListeners.emit({ kind: parsed.kind, problem: parsed.problem });
      return;
    }
    const frame = parsed.frame;
    switch (frame.type) {
      case 'event':
        this.#advanceCursor(frame.cursor);
        if (!this.#recent.add(frame.event.id)) {
          this.#stats.duplicateEvents++;
          return;
        }
        this.#lastEventAt = Date.now();
        this.#eventListeners.emit(frame.event, { cursor: frame.cursor });
        return;
      case 'resume-end':
        this.#advanceCursor(frame.cursor);
        if (frame.more && link.send({ action: 'resume', after: frame.cursor })) return;
        this.#resuming.delete(link);
        this.#resumeListeners.emit(frame);
        if (frame.truncated) this.#reportGap({ reason: 'truncated' });
        if (link === this.#next) this.#completeHandover();
        return;
      case 'refreshed': {
        const pending = this.#pendingRefresh;
        if (pending === undefined || pending.link !== link) return;
        clearTimeout(pending.deadline);
        this.#pendingRefresh = undefined;
        link.token = pending.token;
        this.#stats.refreshes++;
        this.#scheduleRefresh(link, frame.expiresAt * 1000);
        return;
      }
      case 'error': {
        this.#stats.errorFrames++;
        const pending = this.#pendingRefresh;
        if (
          pending !== undefined &&
          pending.link === link &&
          (frame.code === REFRESH_REFUSED || frame.code === UNKNOWN_ACTION)
        ) {
          clearTimeout(pending.deadline);
          this.#pendingRefresh = undefined;
          if (frame.code === REFRESH_REFUSED) {
            this.#startHandover();
          } else {
            // No refresh on this server, and no expiry enforcement either: stop refreshing. If it
            // closes the connection after all, the client reconnects and resumes as after any drop.
            this.#refreshUnsupported = true;
          }
          return;
        }
        if (this.#resuming.has(link)) {
          // A refused resume: what was recorded before this socket opened may be missing.
          this.#resuming.delete(link);
          this.#reportGap({ reason: 'resume-failed', serverCode: frame.code });
        }
        if (link === this.#next) this.#completeHandover();
        this.#setError(new AlexHoRealtimeError('server', `the server answered: ${frame.code}`, frame.code));
        return;
      }
      case 'pong':
        return;
    }
  }

  #advanceCursor(cursor: string): void {
    // Cursors sort in arrival order (a 13-digit time first), so the largest is the newest.
    if (this.#cursor === undefined || cursor > this.#cursor) this.#cursor = cursor;
  }

  // ---- Browser signals -------------------------------------------------------------------------

  #listenToSignals(): void {
    if (this.#signals === false) return;
    const scope = globalThis as {
      window?: EventTarget;
      document?: EventTarget & { visibilityState?: string };
      navigator?: { onLine?: boolean };
    };
    const target = this.#signals?.window ?? scope.window;
    const doc = this.#signals?.document ?? scope.document;
    const isOnline = this.#signals?.isOnline ?? (() => scope.navigator?.onLine !== false);
    this.#offline = isOnline() ? 'no' : 'reported';
    const onOffline = (): void => {
      this.#offline = 'signalled';
      // Retries slow down (see #scheduleReconnect); an open socket is checked rather than dropped
      // (the signal can be wrong: VPNs, captive portals, a machine with only loopback).
      this.#current?.checkAlive();
    };
    const onOnline = (): void => {
      this.#offline = 'no';
      this.#wakeUp();
    };
    const onVisibility = (): void => {
      if (doc?.visibilityState === undefined || doc.visibilityState === 'visible') this.#wakeUp();
    };
    target?.addEventListener('offline', onOffline);
    target?.addEventListener('online', onOnline);
    doc?.addEventListener('visibilitychange', onVisibility);
    this.#removeSignalListeners = () => {
      target?.removeEventListener('offline', onOffline);
      target?.removeEventListener('online', onOnline);
      doc?.removeEventListener('visibilitychange', onVisibility);
    };
  }

  /** Back online or in the foreground: check the open socket, or reconnect without waiting. */
  #wakeUp(): void {
    if (this.#status === 'closed' || this.#status === 'idle') return;
    if (this.#current?.isOpen === true) {
      this.#current.checkAlive();
    } else if (this.#current === undefined && !this.#opening) {
      this.#reconnectNow();
    }
  }

  // ---- Status ----------------------------------------------------------------------------------

  #setStatus(status: ConnectionStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    this.#statusListeners.emit(status, this.#lastError);
  }

  #setError(error: AlexHoRealtimeError | undefined): void {
    this.#lastError = error;
    this.#statusListeners.emit(this.#status, error);
  }
}

function asRealtimeError(error: unknown): AlexHoRealtimeError {
  if (error instanceof AlexHoRealtimeError) return error;
  return new AlexHoRealtimeError('unavailable', error instanceof Error ? error.message : 'the connection failed');
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
