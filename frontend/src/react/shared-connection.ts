/**
 * One client and one invoice store shared by every hook of a provider (or owned by one hook).
 * The client is created and connected on the first `acquire()` and closed when the last user
 * releases it; the release waits one macrotask, so React StrictMode's unmount-and-mount opens a
 * single socket. Creating a SharedConnection opens nothing (safe during server rendering).
 */
import { AlexHoWebSocketClient, type AlexHoClientOptions, type RealtimeGap } from '../client.js';
import { RecentIds } from '../dedup.js';
import { Listeners } from '../listeners.js';
import { InvoiceStore } from '../store.js';

export class SharedConnection {
  readonly store = new InvoiceStore();
  readonly #createOptions: () => AlexHoClientOptions;
  readonly #notified = new RecentIds(1000);
  readonly #gapListeners = new Listeners<[RealtimeGap | undefined]>();
  #client: AlexHoWebSocketClient | undefined;
  #users = 0;
  #releaseTimer: ReturnType<typeof setTimeout> | undefined;
  #gap: RealtimeGap | undefined;
  /** When the last client closed: the next one resumes since then. */
  #closedAt: number | undefined;

  /** `createOptions` is read at each client creation, so it can return the latest `getToken`. */
  constructor(createOptions: () => AlexHoClientOptions) {
    this.#createOptions = createOptions;
  }

  /** The connected client; call `release()` once for every `acquire()`. Throws on bad options. */
  acquire(): AlexHoWebSocketClient {
    if (this.#client === undefined) {
      const options = this.#createOptions();
      const client = new AlexHoWebSocketClient({ ...options, since: this.#closedAt ?? options.since });
      client.subscribe((event) => {
        this.store.apply(event);
      });
      client.onGap((gap) => {
        this.#gap = gap;
        this.#gapListeners.emit(gap);
      });
      client.connect();
      this.#client = client;
    }
    this.#users++;
    clearTimeout(this.#releaseTimer);
    this.#releaseTimer = undefined;
    return this.#client;
  }

  release(): void {
    this.#users = Math.max(0, this.#users - 1);
    if (this.#users > 0 || this.#releaseTimer !== undefined) return;
    this.#releaseTimer = setTimeout(() => {
      this.#releaseTimer = undefined;
      if (this.#users > 0) return;
      this.#client?.close();
      this.#client = undefined;
      this.#closedAt = Date.now();
    }, 0);
  }

  /** The client while someone holds it. */
  get client(): AlexHoWebSocketClient | undefined {
    return this.#client;
  }

  /** The last gap since `clearGap()`: events may be missing until the app has refetched. */
  get gap(): RealtimeGap | undefined {
    return this.#gap;
  }

  /** Called with each gap, and with `undefined` when it is cleared. */
  onGapChange(listener: (gap: RealtimeGap | undefined) => void): () => void {
    return this.#gapListeners.add(listener);
  }

  /** The app has refetched its state: the data is no longer stale. */
  clearGap(): void {
    if (this.#gap === undefined) return;
    this.#gap = undefined;
    this.#gapListeners.emit(undefined);
  }

  /** True for the first caller per event id: one notification per event, however many hooks. */
  claimNotification(eventId: string): boolean {
    return this.#notified.add(eventId);
  }
}
