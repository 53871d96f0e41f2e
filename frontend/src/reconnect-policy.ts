/**
 * When to reconnect and what failures mean: the attempt count and its backoff, consecutive
 * refusals and early closes, the error state they lead to, and the browser's offline hint.
 */
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import type { RetryPlan } from './client-types.js';
import { AlexHoRealtimeError, type RealtimeErrorCode } from './errors.js';

export interface ReconnectSettings {
  backoff: BackoffPolicy;
  /** The backoff in an `unauthorized` or `unavailable` state. */
  errorBackoff: BackoffPolicy;
  /** Consecutive refusals or early closes before the error state. */
  failureThreshold: number;
  random: () => number;
  /** A loopback URL ignores an offline state the browser merely reports. */
  loopback: boolean;
}

export class ReconnectPolicy {
  readonly #settings: ReconnectSettings;
  #attempt = 0;
  #refusals = 0;
  #earlyCloses = 0;
  #errorState: 'unauthorized' | 'unavailable' | undefined;
  /**
   * What the browser says of the network: `reported` offline when the client started (a state
   * browsers misreport: VPNs, captive portals, a machine with only loopback), `signalled` by an
   * `offline` event (a change just seen). A connection that opens disproves either.
   */
  #offline: 'no' | 'reported' | 'signalled' = 'no';
  #timer: ReturnType<typeof setTimeout> | undefined;
  #retry: RetryPlan | undefined;

  constructor(settings: ReconnectSettings) {
    this.#settings = settings;
  }

  /** The planned reconnect, while one is waiting. */
  get retry(): RetryPlan | undefined {
    return this.#retry;
  }

  get offline(): boolean {
    return this.#offline !== 'no';
  }

  /** A handshake (or the token for it) failed before the connection opened. */
  refused(): void {
    this.#refusals++;
  }

  /** A connection closed soon after opening. */
  closedEarly(): void {
    this.#earlyCloses++;
  }

  /** A connection opened: refusals are forgotten and the offline hint is disproved. */
  opened(): void {
    this.#refusals = 0;
    this.#offline = 'no';
    if (this.#errorState === 'unauthorized') this.#errorState = undefined;
  }

  /** A connection stayed up: the backoff and every failure are forgotten. */
  stable(): void {
    this.#attempt = 0;
    this.#earlyCloses = 0;
    this.#refusals = 0;
    this.#errorState = undefined;
  }

  /**
   * The error state the failures so far amount to, as an error to report; `undefined` when there
   * is none, or when `currentCode` (the error already reported) says more.
   */
  failureError(currentCode: RealtimeErrorCode | undefined): AlexHoRealtimeError | undefined {
    const threshold = this.#settings.failureThreshold;
    if (this.#refusals >= threshold) {
      this.#errorState = 'unauthorized';
      if (currentCode === 'token' || currentCode === 'protocol') return undefined;
      const offline = this.offline ? '; the browser reports being offline' : '';
      return new AlexHoRealtimeError(
        'unauthorized',
        `${this.#refusals} connection attempts in a row were refused or failed before opening (check the token and the URL${offline})`,
      );
    }
    if (this.#earlyCloses >= threshold) {
      this.#errorState = 'unavailable';
      return new AlexHoRealtimeError(
        'unavailable',
        `${this.#earlyCloses} connections in a row closed soon after opening`,
      );
    }
    return undefined;
  }

  /** The browser said it is offline when the client started. */
  offlineReported(): void {
    this.#offline = 'reported';
  }

  /** An `offline` event. */
  offlineSignalled(): void {
    this.#offline = 'signalled';
  }

  /** An `online` event. */
  onlineSignalled(): void {
    this.#offline = 'no';
  }

  /**
   * Plans `reconnect` after the backoff. Offline is a hint, never a reason to stop: the backoff
   * pauses at its slowest pace until the browser says `online`. A loopback URL ignores an offline
   * state the browser merely reports (no network but loopback); an `offline` event pauses it too.
   */
  schedule(reconnect: () => void): void {
    this.cancel();
    const { backoff, errorBackoff, random, loopback } = this.#settings;
    const policy = this.#errorState === undefined ? backoff : errorBackoff;
    const paused = this.#offline === 'signalled' || (this.#offline === 'reported' && !loopback);
    const delay = paused ? policy.capMs : backoffDelay(policy, this.#attempt, random);
    this.#retry = { attempt: this.#attempt, delayMs: delay, at: Date.now() + delay };
    if (!paused) this.#attempt++;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#retry = undefined;
      reconnect();
    }, delay);
  }

  /** Forgets the planned reconnect. */
  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#retry = undefined;
  }
}
