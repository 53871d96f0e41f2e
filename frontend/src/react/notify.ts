/** Delivery of one notification: through the app's `notify`, or the browser Notification API. */
import type { InvoiceEvent } from '../types.js';

/** A function that shows a message, typically a toast library's. */
export type NotifyFunction = (message: string, event: InvoiceEvent) => void;

const TITLE = 'Invoice update';

/** Shows `message` with `notify` when given, else as a browser notification if permitted. */
export function deliverNotification(message: string, event: InvoiceEvent, notify: NotifyFunction | undefined): void {
  if (notify !== undefined) {
    notify(message, event);
    return;
  }
  const BrowserNotification = (globalThis as { Notification?: typeof Notification }).Notification;
  if (BrowserNotification === undefined || BrowserNotification.permission !== 'granted') return;
  new BrowserNotification(TITLE, { body: message, tag: event.id });
}
