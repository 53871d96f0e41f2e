/**
 * `@alexho/invoice-realtime`: the WebSocket client, the event types and the invoice store.
 * No React here (see `@alexho/invoice-realtime/react`), and nothing runs at import time.
 */
export {
  AlexHoRealtimeError,
  AlexHoWebSocketClient,
  type AlexHoClientOptions,
  type BrowserSignals,
  type ClientStats,
  type ConnectionStatus,
  type EventListener,
  type EventMeta,
  type GapListener,
  type GapReason,
  type IgnoredListener,
  type RealtimeErrorCode,
  type RealtimeGap,
  type ResumeListener,
  type RetryPlan,
  type StatusListener,
  type WebSocketConstructor,
} from './client.js';
export { backoffCeiling, backoffDelay, type BackoffPolicy } from './backoff.js';
export { sharingKey, type TabSharingApis } from './tab-sharing.js';
export { envelopeProblems, isInvoiceEvent, parseServerFrame, type ParsedFrame } from './frames.js';
export { tokenExpiryMs } from './jwt.js';
export { notificationMessage, type UserType } from './notifications.js';
export { InvoiceStore, type InvoiceState, type StoreListener } from './store.js';
export * from './types.js';
