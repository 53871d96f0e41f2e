/**
 * `AlexHoWebSocketClient`: the WebSocket protocol of AlexHo Invoice Realtime for any framework,
 * in browsers and in Node 22+ (global `WebSocket`). No runtime dependency, nothing touched at
 * import time.
 *
 * What it does for the application: a fresh token for every connection attempt, reconnects with
 * jittered backoff, `ping` with a `pong` deadline, token refresh before a JWT expires, a gapless
 * handover to a new connection before API Gateway's 2-hour cap, `resume` from the last cursor
 * (or `since` the page's load time) after every reconnect, gaps reported when continuity cannot
 * be proven, and de-duplication of events by `id`.
 *
 * This class coordinates; each concern has its module: one socket (`link.ts`), when to reconnect
 * (`reconnect-policy.ts`), the handover (`handover.ts`), token refresh (`token-refresh.ts`), the
 * position in the event log (`resume.ts`), browser signals (`browser-signals.ts`), one socket
 * per browser (`tab-sharing.ts`), options (`options.ts`), de-duplication (`dedup.ts`).
 */
import { followBrowserSignals } from './browser-signals.js';
import type {
  ClientStats,
  ConnectionStatus,
  EventListener,
  EventMeta,
  GapListener,
  IgnoredListener,
  RealtimeGap,
  ResumeListener,
  RetryPlan,
  StatusListener,
} from './client-types.js';
import { RecentIds } from './dedup.js';
import { AlexHoRealtimeError, asRealtimeError, fetchToken } from './errors.js';
import type { ParsedFrame } from './frames.js';
import { Handover } from './handover.js';
import { tokenExpiryMs } from './jwt.js';
import { CLOSE_CODES, Link, type LinkEnd, type WebSocketConstructor } from './link.js';
import { Listeners } from './listeners.js';
import { isLoopbackUrl, resolveOptions, type AlexHoClientOptions, type ResolvedOptions } from './options.js';
import { ReconnectPolicy } from './reconnect-policy.js';
import { ResumePosition } from './resume.js';
import { sharingKey, TabMembership, tabSharingApis, type TabSharingApis } from './tab-sharing.js';
import { TokenRefresh } from './token-refresh.js';
import {
  SUBPROTOCOL,
  type InvoiceEvent,
  type InvoiceEventType,
  type ResumeEndFrame,
  type ServerFrame,
} from './types.js';

export type { BrowserSignals } from './browser-signals.js';
export type * from './client-types.js';
export { AlexHoRealtimeError, type RealtimeErrorCode } from './errors.js';
export type { WebSocketConstructor } from './link.js';
export { isLoopbackUrl, type AlexHoClientOptions } from './options.js';

/** A WebSocket client for invoice events. */
export class AlexHoWebSocketClient {
  readonly #options: ResolvedOptions;
  readonly #policy: ReconnectPolicy;
  readonly #position: ResumePosition;
  readonly #refresh: TokenRefresh;
  readonly #handover: Handover;
  readonly #recent: RecentIds;

  #status: ConnectionStatus = 'idle';
  #lastError: AlexHoRealtimeError | undefined;
  #lastEventAt: number | undefined;
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
  /** The connection in use (open or still opening). */
  #current: Link | undefined;
  /** Incremented to cancel an attempt that is waiting for its token. */
  #attemptSerial = 0;
  #opening = false;
  /** The current connection's timers: stable (forget failures) and max age (hand over). */
  #stableTimer: ReturnType<typeof setTimeout> | undefined;
  #ageTimer: ReturnType<typeof setTimeout> | undefined;
  #stopSignals: (() => void) | undefined;
  /** Tab sharing: while it is set and not leading, another tab's client holds the socket. */
  #tabs: TabMembership | undefined;

  readonly #eventListeners = new Listeners<[InvoiceEvent, EventMeta]>();
  readonly #statusListeners = new Listeners<[ConnectionStatus, AlexHoRealtimeError | undefined]>();
  readonly #ignoredListeners = new Listeners<[{ kind: 'malformed' | 'unknown'; problem: string }]>();
  readonly #resumeListeners = new Listeners<[ResumeEndFrame]>();
  readonly #gapListeners = new Listeners<[RealtimeGap]>();

  /** Checks the options (a `TypeError` that says what is wrong); opens nothing. */
  constructor(options: AlexHoClientOptions) {
    const resolved = resolveOptions(options);
    const { settings } = resolved;
    this.#options = resolved;
    this.#recent = new RecentIds(settings.dedupCapacity);
    this.#position = new ResumePosition(resolved.since);
    this.#policy = new ReconnectPolicy({
      backoff: resolved.backoff,
      errorBackoff: resolved.errorBackoff,
      failureThreshold: settings.failureThreshold,
      random: resolved.random,
      loopback: isLoopbackUrl(resolved.url),
    });
    this.#refresh = new TokenRefresh(
      {
        token: () => fetchToken(resolved.getToken),
        isCurrent: (link) => link === this.#current && this.#status !== 'closed',
        handover: () => this.#handover.start(),
        failed: (error) => this.#setError(error),
        refreshed: () => this.#stats.refreshes++,
      },
      { marginMs: settings.refreshMarginMs, timeoutMs: settings.refreshTimeoutMs },
    );
    this.#handover = new Handover(
      {
        current: () => this.#current,
        closed: () => this.#status === 'closed',
        token: () => fetchToken(resolved.getToken),
        createLink: (token) => this.#createLink(token),
        sendResume: (link) => this.#position.send(link),
        resumePending: (link) => this.#position.pending(link),
        switchTo: (next) => this.#switchTo(next),
        failed: (error) => this.#setError(error),
        unconfirmed: () => this.#reportGap({ reason: 'handover-unconfirmed' }),
      },
      { backoff: resolved.backoff, random: resolved.random, resumeDeadlineMs: settings.pongTimeoutMs },
    );
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
    return this.#position.cursor;
  }

  get stats(): Readonly<ClientStats> {
    return { ...this.#stats };
  }

  /** The pending reconnect while the client waits to retry (for "retrying in 5 s"). */
  get retry(): RetryPlan | undefined {
    return this.#policy.retry;
  }

  /** Whether another tab's client holds the socket and relays to this one. */
  get following(): boolean {
    return this.#tabs?.following === true;
  }

  /** How many sockets are open or opening (2 only during a handover; 0 while following). */
  get socketCount(): number {
    return (this.#current === undefined ? 0 : 1) + (this.#handover.next === undefined ? 0 : 1);
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
    const signals = followBrowserSignals(this.#options.signals, {
      offline: () => {
        this.#policy.offlineSignalled();
        // An open socket is checked rather than dropped (the signal can be wrong).
        this.#current?.checkAlive();
      },
      online: () => {
        this.#policy.onlineSignalled();
        this.#wakeUp();
      },
      visible: () => this.#wakeUp(),
    });
    if (!signals.online) this.#policy.offlineReported();
    this.#stopSignals = signals.stop;
    this.#setStatus('connecting');
    const apis = tabSharingApis(this.#options.shareAcrossTabs);
    if (apis === undefined) void this.#openCurrent();
    else void this.#joinTabs(apis);
  }

  /** Finds the tabs of the same URL and identity: follow their leader, or lead. */
  async #joinTabs(apis: TabSharingApis): Promise<void> {
    const serial = this.#attemptSerial;
    let token: string | undefined;
    try {
      token = await fetchToken(this.#options.getToken);
    } catch {
      token = undefined; // The token's failure is the first attempt's to report.
    }
    if (serial !== this.#attemptSerial || this.#status === 'closed') return;
    const key = token === undefined ? undefined : sharingKey(this.#options.url, token);
    if (token === undefined || key === undefined) {
      void this.#openCurrent(token);
      return;
    }
    this.#tabs = new TabMembership(apis, key, token, this.#options.since, {
      status: () => this.#status,
      lastError: () => this.#lastError,
      closed: () => this.#status === 'closed',
      current: () => this.#current,
      lead: (fresh) => {
        if (this.#status !== 'connecting') this.#setStatus('reconnecting');
        void this.#openCurrent(fresh);
      },
      followedSince: (at) => this.#position.opened(at),
      event: (event, cursor) => this.#received(event, cursor),
      resumeEnded: (frame) => {
        this.#position.advance(frame.cursor);
        this.#resumeListeners.emit(frame);
      },
      gap: (gap) => this.#reportGap(gap),
      mirror: (status, error) => {
        this.#lastError = error;
        if (status === this.#status) this.#statusListeners.emit(status, error);
        else this.#setStatus(status);
      },
    });
  }

  /** Closes every socket, cancels every timer and stops for good (another tab may take over). */
  close(): void {
    if (this.#status === 'closed') return;
    this.#attemptSerial++;
    this.#tabs?.leave();
    this.#tabs = undefined;
    this.#stopSignals?.();
    this.#stopSignals = undefined;
    this.#clearConnectionTimers();
    this.#policy.cancel();
    this.#handover.cancel();
    this.#current?.close(CLOSE_CODES.normal, 'client closed');
    this.#current = undefined;
    this.#setStatus('closed');
  }

  /** Stops for good on a permanent error, which stays as `lastError`. */
  #stopFor(error: AlexHoRealtimeError): void {
    this.#lastError = error;
    this.close();
  }

  // ---- Connections -----------------------------------------------------------------------------

  #createLink(token: string): Link {
    const { url, settings } = this.#options;
    const WebSocketClass = this.#options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (WebSocketClass === undefined) {
      throw new AlexHoRealtimeError(
        'unsupported',
        'no WebSocket implementation: use a browser or Node 22+, or pass one as the WebSocket option (e.g. the ws package)',
      );
    }
    const query = settings.tokenTransport === 'query';
    const target = query ? `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}` : url;
    let ws: WebSocket;
    try {
      ws = new WebSocketClass(target, query ? [SUBPROTOCOL] : [SUBPROTOCOL, token]);
    } catch (error) {
      // SyntaxError (a URL the runtime does not accept), SecurityError (a page policy): permanent.
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new AlexHoRealtimeError('unsupported', `the WebSocket could not be created (${reason})`, undefined, {
        cause: error,
      });
    }
    return new Link(ws, token, this.#linkHandlers, {
      pingIntervalMs: settings.pingIntervalMs,
      pongTimeoutMs: settings.pongTimeoutMs,
      handshakeTimeoutMs: settings.handshakeTimeoutMs,
    });
  }

  /** Opens the connection in use, with `token` if given (else a fresh one); only when there is none. */
  async #openCurrent(token?: string): Promise<void> {
    if (this.#current !== undefined || this.#opening) return;
    const serial = ++this.#attemptSerial;
    this.#opening = true;
    let link: Link;
    try {
      token ??= await fetchToken(this.#options.getToken);
      if (serial !== this.#attemptSerial || this.#status === 'closed' || this.#current !== undefined) return;
      link = this.#createLink(token);
    } catch (error) {
      if (serial !== this.#attemptSerial || this.#status === 'closed') return;
      if (error instanceof AlexHoRealtimeError && error.code === 'unsupported') {
        this.#stopFor(error);
        return;
      }
      this.#policy.refused();
      this.#setError(asRealtimeError(error));
      this.#reportFailures();
      this.#scheduleReconnect();
      return;
    } finally {
      if (serial === this.#attemptSerial) this.#opening = false;
    }
    this.#current = link;
  }

  readonly #linkHandlers = {
    onOpen: (link: Link) => this.#linkOpened(link),
    onFrame: (link: Link, parsed: ParsedFrame) => this.#frameReceived(link, parsed),
    onEnd: (link: Link, end: LinkEnd) => this.#linkEnded(link, end),
  };

  #linkOpened(link: Link): void {
    if (link === this.#handover.next) {
      // Both sockets receive live events until the switch; the new one catches up with a resume.
      this.#handover.opened(link);
      return;
    }
    if (link !== this.#current) return;
    this.#policy.opened();
    const code = this.#lastError?.code;
    if (code === 'unauthorized' || code === 'token' || code === 'protocol') this.#lastError = undefined;
    this.#startConnectionTimers(link);
    this.#setStatus('open');
    this.#position.send(link);
    this.#position.opened(link.openedAt);
    this.#tabs?.opened(link);
  }

  #linkEnded(link: Link, end: LinkEnd): void {
    if (this.#status === 'closed') return;
    if (link === this.#handover.next) {
      this.#handover.ended();
      return;
    }
    if (link !== this.#current) return;
    this.#current = undefined;
    this.#clearConnectionTimers();
    if (end.reason === 'subprotocol-missing') {
      this.#setError(new AlexHoRealtimeError('protocol', `the server did not accept the ${SUBPROTOCOL} subprotocol`));
    }
    if (!end.opened) {
      this.#policy.refused();
    } else if (link.openedAt !== undefined && Date.now() - link.openedAt < this.#options.settings.earlyCloseMs) {
      this.#policy.closedEarly();
    }
    this.#reportFailures();
    const next = this.#handover.takeOver();
    if (next !== undefined) {
      // A handover was under way: its socket takes over (it resumes from the cursor when open).
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

  /** The handover's socket becomes the one in use; the old one closes. */
  #switchTo(next: Link): void {
    const old = this.#current;
    this.#current = next;
    this.#stats.handovers++;
    old?.close(CLOSE_CODES.normal, 'handover');
    this.#startConnectionTimers(next);
    this.#setStatus('open');
  }

  #reportFailures(): void {
    const error = this.#policy.failureError(this.#lastError?.code);
    if (error !== undefined) this.#setError(error);
  }

  #scheduleReconnect(): void {
    if (this.#status === 'closed') return;
    this.#setStatus('reconnecting');
    this.#policy.schedule(() => this.#reconnectNow());
  }

  #reconnectNow(): void {
    this.#policy.cancel();
    if (this.#status === 'closed' || this.#current !== undefined || this.#opening || this.following) return;
    this.#stats.reconnects++;
    void this.#openCurrent();
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

  #startConnectionTimers(link: Link): void {
    this.#clearConnectionTimers();
    const { stableAfterMs, maxConnectionAgeMs } = this.#options.settings;
    const openedAt = link.openedAt ?? Date.now();
    this.#stableTimer = setTimeout(
      () => {
        this.#policy.stable();
        if (this.#lastError !== undefined) this.#setError(undefined);
      },
      Math.max(0, openedAt + stableAfterMs - Date.now()),
    );
    this.#ageTimer = setTimeout(() => this.#handover.start(), Math.max(0, openedAt + maxConnectionAgeMs - Date.now()));
    this.#refresh.plan(link, tokenExpiryMs(link.token));
  }

  #clearConnectionTimers(): void {
    clearTimeout(this.#stableTimer);
    clearTimeout(this.#ageTimer);
    this.#stableTimer = this.#ageTimer = undefined;
    this.#refresh.clear();
  }

  // ---- Frames ----------------------------------------------------------------------------------

  #frameReceived(link: Link, parsed: ParsedFrame): void {
    if (this.#status === 'closed') return;
    if (parsed.kind !== 'frame') {
      if (parsed.cursor !== undefined) this.#position.advance(parsed.cursor);
      if (parsed.kind === 'malformed') this.#stats.malformedFrames++;
      else this.#stats.unknownFrames++;
      this.#ignoredListeners.emit({ kind: parsed.kind, problem: parsed.problem });
      return;
    }
    this.#dispatch(link, parsed.frame);
  }

  #dispatch(link: Link, frame: ServerFrame): void {
    switch (frame.type) {
      case 'event':
        this.#received(frame.event, frame.cursor);
        return;
      case 'resume-end':
        if (!this.#position.ended(link, frame)) return;
        this.#tabs?.relay({ kind: 'resume-end', frame });
        this.#resumeListeners.emit(frame);
        if (frame.truncated) this.#reportGap({ reason: 'truncated' });
        if (link === this.#handover.next) this.#handover.complete();
        return;
      case 'refreshed':
        this.#refresh.answered(link, frame.expiresAt * 1000);
        return;
      case 'error':
        this.#stats.errorFrames++;
        if (this.#refresh.refused(link, frame.code)) return;
        // A refused resume: what was recorded before this socket opened may be missing.
        if (this.#position.refused(link)) this.#reportGap({ reason: 'resume-failed', serverCode: frame.code });
        if (link === this.#handover.next) this.#handover.complete();
        this.#setError(new AlexHoRealtimeError('server', `the server answered: ${frame.code}`, frame.code));
        return;
      case 'pong':
        return;
    }
  }

  /** An event frame, received or relayed: de-duplicated, then to the listeners (and other tabs). */
  #received(event: InvoiceEvent, cursor: string): void {
    this.#position.advance(cursor);
    // Relayed before de-duplication: another tab may lack what this one has (a replay it asked for).
    this.#tabs?.relay({ kind: 'event', event, cursor });
    if (!this.#recent.add(event.id)) {
      this.#stats.duplicateEvents++;
      return;
    }
    this.#lastEventAt = Date.now();
    this.#eventListeners.emit(event, { cursor });
  }

  // ---- Reporting -------------------------------------------------------------------------------

  #reportGap(gap: Omit<RealtimeGap, 'at'> & { at?: number }): void {
    const reported = { ...gap, at: gap.at ?? Date.now() };
    this.#stats.gaps++;
    this.#tabs?.relay({ kind: 'gap', gap: reported });
    this.#gapListeners.emit(reported);
  }

  #setStatus(status: ConnectionStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    this.#tabs?.relayStatus();
    this.#statusListeners.emit(status, this.#lastError);
  }

  #setError(error: AlexHoRealtimeError | undefined): void {
    this.#lastError = error;
    this.#tabs?.relayStatus();
    this.#statusListeners.emit(this.#status, error);
  }
}
