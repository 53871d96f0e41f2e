/** A set of listeners; one that throws is reported and does not stop the others. */
export class Listeners<A extends unknown[]> {
  readonly #listeners = new Set<(...args: A) => void>();

  add(listener: (...args: A) => void): () => void {
    // Wrap so that the same function subscribed twice gets two independent subscriptions.
    const entry = (...args: A): void => listener(...args);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  emit(...args: A): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(...args);
      } catch (error) {
        reportListenerError(error);
      }
    }
  }

  get size(): number {
    return this.#listeners.size;
  }

  clear(): void {
    this.#listeners.clear();
  }
}

/** Reports an error thrown by an application's listener without unwinding the client. */
export function reportListenerError(error: unknown): void {
  const report = (globalThis as { reportError?: (error: unknown) => void }).reportError;
  if (typeof report === 'function') report(error);
  else console.error('AlexHo realtime: a listener threw', error);
}
