/**
 * The move to a new connection while the current one keeps delivering (before the 2-hour cap,
 * or when a token cannot be refreshed): open the next socket, resume on it, then let the client
 * switch over once the resume has ended (or after a deadline, reported as a gap).
 */
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import type { AlexHoRealtimeError } from './errors.js';
import { asRealtimeError } from './errors.js';
import { CLOSE_CODES, type Link } from './link.js';

export interface HandoverHost {
  /** The connection in use. */
  current(): Link | undefined;
  closed(): boolean;
  token(): Promise<string>;
  createLink(token: string): Link;
  /** Sends the resume on `link`; false when there is nothing to resume. */
  sendResume(link: Link): boolean;
  /** Whether `link`'s resume is still unanswered. */
  resumePending(link: Link): boolean;
  /** `next` is open and caught up (or as far as it will get): make it the connection in use. */
  switchTo(next: Link): void;
  failed(error: AlexHoRealtimeError): void;
  /** The switch happened without the resume's answer: continuity is not proven. */
  unconfirmed(): void;
}

export interface HandoverSettings {
  backoff: BackoffPolicy;
  random: () => number;
  /** How long the next socket's resume may take before the switch happens anyway. */
  resumeDeadlineMs: number;
}

export class Handover {
  readonly #host: HandoverHost;
  readonly #settings: HandoverSettings;
  /** The connection being handed over to, while the current one still delivers. */
  #next: Link | undefined;
  #opening = false;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(host: HandoverHost, settings: HandoverSettings) {
    this.#host = host;
    this.#settings = settings;
  }

  get next(): Link | undefined {
    return this.#next;
  }

  /** Starts a handover, unless one is under way or there is no open connection to leave. */
  start(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#host.closed()) return;
    void this.#openNext();
  }

  /** The next socket opened: resume on it, and switch once the resume has ended. */
  opened(link: Link): void {
    if (!this.#host.sendResume(link)) {
      this.complete();
      return;
    }
    this.#timer = setTimeout(() => {
      if (this.#host.resumePending(link)) this.#host.unconfirmed();
      this.complete();
    }, this.#settings.resumeDeadlineMs);
  }

  /** The next socket ended before the switch: try again later. */
  ended(): void {
    this.#next = undefined;
    this.#retryLater();
  }

  /** Switches to the next socket if it is open. */
  complete(): void {
    const next = this.#next;
    if (next === undefined || !next.isOpen) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#next = undefined;
    this.#attempt = 0;
    this.#host.switchTo(next);
  }

  /** The current socket ended mid-handover: the next one, if any, takes over as it is. */
  takeOver(): Link | undefined {
    const next = this.#next;
    this.#next = undefined;
    return next;
  }

  /** Closes the next socket and cancels every timer. */
  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#next?.close(CLOSE_CODES.normal, 'client closed');
    this.#next = undefined;
  }

  async #openNext(): Promise<void> {
    const current = this.#host.current();
    if (this.#next !== undefined || this.#opening || current?.isOpen !== true) return;
    this.#opening = true;
    try {
      const token = await this.#host.token();
      if (this.#host.closed() || this.#host.current() !== current || this.#next !== undefined) return;
      this.#next = this.#host.createLink(token);
    } catch (error) {
      if (this.#host.closed()) return;
      this.#host.failed(asRealtimeError(error));
      this.#retryLater();
    } finally {
      this.#opening = false;
    }
  }

  #retryLater(): void {
    clearTimeout(this.#timer);
    if (this.#host.closed()) return;
    const delay = backoffDelay(this.#settings.backoff, this.#attempt, this.#settings.random);
    this.#attempt++;
    this.#timer = setTimeout(() => this.start(), delay);
  }
}
