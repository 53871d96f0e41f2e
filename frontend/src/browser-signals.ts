/** The browser's `online`/`offline` and `visibilitychange` events, for the client to follow. */

/** Where the browser's `online`/`offline` and `visibilitychange` events come from. */
export interface BrowserSignals {
  /** Fires `online` and `offline` (default: `window`). */
  window?: EventTarget;
  /** Fires `visibilitychange` and has `visibilityState` (default: `document`). */
  document?: EventTarget & { visibilityState?: string };
  /** Whether the network is up (default: `navigator.onLine`). */
  isOnline?: () => boolean;
}

export interface SignalHandlers {
  offline(): void;
  online(): void;
  /** The page became visible. */
  visible(): void;
}

/**
 * Follows `signals` (`undefined`: the global `window` and `document`; `false`: none). Returns
 * whether the browser says it is online now, and the function that stops following.
 */
export function followBrowserSignals(
  signals: BrowserSignals | false | undefined,
  handlers: SignalHandlers,
): { online: boolean; stop: () => void } {
  if (signals === false) return { online: true, stop: () => undefined };
  const scope = globalThis as {
    window?: EventTarget;
    document?: EventTarget & { visibilityState?: string };
    navigator?: { onLine?: boolean };
  };
  const target = signals?.window ?? scope.window;
  const doc = signals?.document ?? scope.document;
  const isOnline = signals?.isOnline ?? (() => scope.navigator?.onLine !== false);
  const onOffline = (): void => handlers.offline();
  const onOnline = (): void => handlers.online();
  const onVisibility = (): void => {
    if (doc?.visibilityState === undefined || doc.visibilityState === 'visible') handlers.visible();
  };
  target?.addEventListener('offline', onOffline);
  target?.addEventListener('online', onOnline);
  doc?.addEventListener('visibilitychange', onVisibility);
  return {
    online: isOnline(),
    stop: () => {
      target?.removeEventListener('offline', onOffline);
      target?.removeEventListener('online', onOnline);
      doc?.removeEventListener('visibilitychange', onVisibility);
    },
  };
}
