/**
 * Token refresh on an open connection: `refresh` with a fresh token shortly before the JWT's
 * `exp`, the answer's deadline, and what a refusal or a server without `refresh` means.
 */
import type { AlexHoRealtimeError } from './errors.js';
import { asRealtimeError } from './errors.js';
import type { Link } from './link.js';

/** A refresh is never planned sooner than this, whatever the token says. */
const MIN_REFRESH_DELAY_MS = 1_000;
/** The `error` code that answers a `refresh` with no. */
const REFRESH_REFUSED = 'refresh-refused';
/** The `error` code of a server that predates `refresh` (and does not close expired connections). */
const UNKNOWN_ACTION = 'unknown-action';

export interface RefreshHost {
  token(): Promise<string>;
  /** Whether `link` is still the connection in use (and the client not closed). */
  isCurrent(link: Link): boolean;
  /** The token could not be refreshed on this connection: move to a new one. */
  handover(): void;
  failed(error: AlexHoRealtimeError): void;
  refreshed(): void;
}

interface PendingRefresh {
  link: Link;
  token: string;
  deadline: ReturnType<typeof setTimeout>;
}

export class TokenRefresh {
  readonly #host: RefreshHost;
  readonly #marginMs: number;
  readonly #timeoutMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pending: PendingRefresh | undefined;
  /** The server answered `unknown-action`: it has no refresh (and no expiry enforcement). */
  #unsupported = false;

  constructor(host: RefreshHost, timings: { marginMs: number; timeoutMs: number }) {
    this.#host = host;
    this.#marginMs = timings.marginMs;
    this.#timeoutMs = timings.timeoutMs;
  }

  /** Plans the refresh of `link` before `expiresAtMs` (nothing for a token without `exp`). */
  plan(link: Link, expiresAtMs: number | undefined): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (expiresAtMs === undefined || this.#unsupported) return;
    const delay = Math.max(MIN_REFRESH_DELAY_MS, expiresAtMs - this.#marginMs - Date.now());
    this.#timer = setTimeout(() => void this.#refresh(link), delay);
  }

  /** Cancels the planned refresh and forgets one awaiting its answer. */
  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending !== undefined) {
      clearTimeout(this.#pending.deadline);
      this.#pending = undefined;
    }
  }

  /** A `refreshed` frame on `link`: the connection now lives until `expiresAtMs`. */
  answered(link: Link, expiresAtMs: number): void {
    const pending = this.#pending;
    if (pending === undefined || pending.link !== link) return;
    clearTimeout(pending.deadline);
    this.#pending = undefined;
    link.token = pending.token;
    this.#host.refreshed();
    this.plan(link, expiresAtMs);
  }

  /** An `error` frame on `link`; true when it answered the pending refresh (and was handled). */
  refused(link: Link, code: string): boolean {
    const pending = this.#pending;
    if (pending === undefined || pending.link !== link || (code !== REFRESH_REFUSED && code !== UNKNOWN_ACTION)) {
      return false;
    }
    clearTimeout(pending.deadline);
    this.#pending = undefined;
    if (code === REFRESH_REFUSED) {
      this.#host.handover();
    } else {
      // No refresh on this server, and no expiry enforcement either: stop refreshing. If it
      // closes the connection after all, the client reconnects and resumes as after any drop.
      this.#unsupported = true;
    }
    return true;
  }

  async #refresh(link: Link): Promise<void> {
    this.#timer = undefined;
    let token: string;
    try {
      token = await this.#host.token();
    } catch (error) {
      if (!this.#host.isCurrent(link)) return;
      this.#host.failed(asRealtimeError(error));
      this.#host.handover();
      return;
    }
    if (!this.#host.isCurrent(link) || !link.isOpen || this.#pending !== undefined) return;
    if (!link.send({ action: 'refresh', token })) return;
    const deadline = setTimeout(() => {
      this.#pending = undefined;
      this.#host.handover();
    }, this.#timeoutMs);
    this.#pending = { link, token, deadline };
  }
}
