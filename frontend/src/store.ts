/**
 * An invoice store fed by events. Each invoice holds the fields of the events applied to it, the
 * newest on top. When both the held state and an event carry `data.version`, an event whose
 * version is not above the held one is ignored, so a late duplicate or a reordered event never
 * rolls an invoice back; events without a version apply in arrival order.
 */
import { Listeners } from './listeners.js';
import type { InvoiceData, InvoiceEvent, InvoiceEventType } from './types.js';

/** One invoice as the store holds it. */
export interface InvoiceState {
  invoiceId: string;
  customerId: string;
  /** The fields of the events applied, newest on top (status, version, amounts, ...). */
  data: InvoiceData;
  /** The type, id and time of the event that set `data`. */
  lastEventType: InvoiceEventType;
  lastEventId: string;
  lastEventTime: string;
}

export type StoreListener = (invoice: InvoiceState, event: InvoiceEvent) => void;

/** Holds the latest known state of each invoice. */
export class InvoiceStore {
  readonly #invoices = new Map<string, InvoiceState>();
  readonly #listeners = new Listeners<[InvoiceState, InvoiceEvent]>();
  #snapshot: readonly InvoiceState[] | undefined;

  /**
   * Applies `event`; returns true when it changed the store. An event whose `data.version` is
   * not above the held version (or whose id set the held state) is ignored.
   */
  apply(event: InvoiceEvent): boolean {
    const invoiceId = event.data.invoiceId;
    const held = this.#invoices.get(invoiceId);
    if (held !== undefined) {
      if (held.lastEventId === event.id) return false;
      const heldVersion = held.data.version;
      const version = event.data.version;
      if (typeof heldVersion === 'number' && typeof version === 'number' && version <= heldVersion) {
        return false;
      }
    }
    const state: InvoiceState = {
      invoiceId,
      customerId: event.data.customerId,
      // Merged, so that an event carrying only some fields (a payment) keeps the others.
      data: held === undefined ? event.data : { ...held.data, ...event.data },
      lastEventType: event.type,
      lastEventId: event.id,
      lastEventTime: event.time,
    };
    this.#invoices.set(invoiceId, state);
    this.#snapshot = undefined;
    this.#listeners.emit(state, event);
    return true;
  }

  /** The invoice's state, if the store has seen it. */
  get(invoiceId: string): InvoiceState | undefined {
    return this.#invoices.get(invoiceId);
  }

  /** Every invoice, in the order first seen; the same array until the store changes. */
  list(): readonly InvoiceState[] {
    this.#snapshot ??= Object.freeze([...this.#invoices.values()]);
    return this.#snapshot;
  }

  get size(): number {
    return this.#invoices.size;
  }

  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: StoreListener): () => void {
    return this.#listeners.add(listener);
  }

  /** Forgets every invoice (for instance after a truncated resume, before refetching). */
  clear(): void {
    this.#invoices.clear();
    this.#snapshot = undefined;
  }
}
