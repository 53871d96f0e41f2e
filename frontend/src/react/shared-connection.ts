/**
 * One client and one invoice store shared by every hook of a provider (or owned by one hook).
 * The client is created and connected on the first `acquire()` and closed when the last user
 * releases it; the release waits one macrotask, so React StrictMode's unmount-and-mount opens a
 * single socket. Creating a SharedConnection opens nothing (safe during server rendering).
 */
import { AlexHoWebSocketClient, type AlexHoClientOptions } from '../client.js';
import { RecentIds } from '../dedup.js';
import { InvoiceStore } from '../store.js';

export class SharedConnection {
  readonly store = new InvoiceStore();
  readonly #createOptions: () => AlexHoClientOptions;
  readonly #notified = new RecentIds(1000);
  #client: AlexHoWebSocketClient | undefined;
  #users = 0;
  #releaseTimer: ReturnType<typeof setTimeout> | undefined;

  /** `createOptions` is read at each client creation, so it can return the latest `getToken`. */
  constructor(createOptions: () => AlexHoClientOptions) {
    this.#createOptions = createOptions;
  }

  /** The connected client; call `release()` once for every `acquire()`. */
  acquire(): AlexHoWebSocketClient {
    this.#users++;
    clearTimeout(this.#releaseTimer);
    this.#releaseTimer = undefined;
    if (this.#client === undefined) {
      const client = new AlexHoWebSocketClient(this.#createOptions());
      client.subscribe((event) => {
        this.store.apply(event);
      });
      client.connect();
      this.#client = client;
    }
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
    }, 0);
  }

  /** The client while someone holds it. */
  get client(): AlexHoWebSocketClient | undefined {
    return this.#client;
  }

  /** True for the first caller per event id: one notification per event, however many hooks. */
  claimNotification(eventId: string): boolean {
    return this.#notified.add(eventId);
  }
}
