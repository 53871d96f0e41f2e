'use client';
/** `useAlexHoWebSocket`: invoice events, connection status and invoices for a React component. */
import { useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { AlexHoRealtimeError, type AlexHoWebSocketClient, type ConnectionStatus, type RealtimeGap } from '../client.js';
import { notificationMessage, type UserType } from '../notifications.js';
import type { InvoiceState } from '../store.js';
import type { InvoiceEvent, InvoiceEventType } from '../types.js';
import { RealtimeContext } from './context.js';
import { deliverNotification, type NotifyFunction } from './notify.js';
import type { ClientOptions } from './provider.js';
import { SharedConnection } from './shared-connection.js';

export interface UseAlexHoWebSocketOptions {
  /** `false` opens no socket (default `true`). */
  enabled?: boolean;
  /** Words notifications for an admin or a customer; the server decides what arrives. */
  userType?: UserType;
  /** One short message per event, through `notify` or the browser Notification API. */
  showNotifications?: boolean;
  /** With `url` and `getToken` the hook owns its own client; without, it uses the provider's. */
  url?: string;
  getToken?: () => string | Promise<string>;
  /** Client options for a hook-owned client. */
  clientOptions?: ClientOptions;
  /**
   * For a hook-owned client: when the page's data was loaded (epoch ms); the first connection
   * replays every event since then. Under a provider, give it to the provider.
   */
  since?: number;
  /** Called when events may have been missed (a gap): refetch, then call `clearStale()`. */
  onGap?: (gap: RealtimeGap) => void;
  /** Overrides the provider's `notify`. */
  notify?: NotifyFunction;
  /** Only these event types reach `events`, `onEvent` and notifications. */
  eventTypes?: readonly InvoiceEventType[];
  /** Only this invoice's events (and state) reach this hook. */
  invoiceId?: string;
  /** Called once per new event that passes the filters. */
  onEvent?: (event: InvoiceEvent) => void;
  /** How many recent events `events` keeps (default 50). */
  maxEvents?: number;
}

export interface UseAlexHoWebSocketResult {
  status: ConnectionStatus;
  /** Recent events that passed the filters, oldest first. */
  events: readonly InvoiceEvent[];
  lastEvent: InvoiceEvent | undefined;
  /** The client's last error, or a configuration error (no URL or getToken, no provider). */
  error: Error | undefined;
  /** When the last event passing the filters arrived (epoch ms). */
  lastEventAt: number | undefined;
  /** The latest state of each invoice seen (only `invoiceId`'s when filtered). */
  invoices: readonly InvoiceState[];
  /** The client while the hook is enabled (for `stats`, `cursor`, or more subscriptions). */
  client: AlexHoWebSocketClient | undefined;
  /** True after a gap until `clearStale()`: events may be missing, refetch the app's data. */
  stale: boolean;
  /** The gap that made the data stale. */
  gap: RealtimeGap | undefined;
  /** Call once the app has refetched its data (for every hook of the same client). */
  clearStale: () => void;
}

const NO_EVENTS: readonly InvoiceEvent[] = Object.freeze([]);
const NO_INVOICES: readonly InvoiceState[] = Object.freeze([]);
const DEFAULT_MAX_EVENTS = 50;

/**
 * Invoice events over the shared (provider) or an own WebSocket client. React StrictMode's double
 * mount opens one socket; unmounting releases it; `enabled: false` opens none; server rendering
 * opens none.
 */
export function useAlexHoWebSocket(options: UseAlexHoWebSocketOptions = {}): UseAlexHoWebSocketResult {
  const { enabled = true, url, invoiceId } = options;
  const context = useContext(RealtimeContext);
  const latest = useRef(options);
  latest.current = options;

  const ownUrl = url !== undefined && url !== '' ? url : undefined;
  const ownConnection = useMemo(
    () =>
      ownUrl === undefined
        ? undefined
        : new SharedConnection(() => ({
            ...latest.current.clientOptions,
            since: latest.current.since ?? latest.current.clientOptions?.since,
            url: ownUrl,
            // The latest getToken, so that a new function on every render needs no new client.
            getToken: () => {
              const getToken = latest.current.getToken;
              if (getToken === undefined)
                throw new AlexHoRealtimeError('token', 'useAlexHoWebSocket: url needs getToken');
              return getToken();
            },
          })),
    [ownUrl],
  );
  const connection = ownConnection ?? context?.connection;
  const missingGetToken = options.getToken === undefined;
  const configError = useMemo(() => {
    if (connection === undefined) {
      return new Error('useAlexHoWebSocket: pass url and getToken, or render inside <AlexHoRealtimeProvider>');
    }
    if (ownConnection !== undefined && missingGetToken) {
      return new Error('useAlexHoWebSocket: url needs getToken');
    }
    return undefined;
  }, [connection, ownConnection, missingGetToken]);

  const [client, setClient] = useState<AlexHoWebSocketClient | undefined>(undefined);
  const [status, setStatus] = useState<ConnectionStatus>('idle');
  const [clientError, setClientError] = useState<Error | undefined>(undefined);
  const [events, setEvents] = useState<readonly InvoiceEvent[]>(NO_EVENTS);
  const [lastEventAt, setLastEventAt] = useState<number | undefined>(undefined);
  const [invoices, setInvoices] = useState<readonly InvoiceState[]>(NO_INVOICES);
  const [gap, setGap] = useState<RealtimeGap | undefined>(undefined);
  const typesKey = options.eventTypes === undefined ? '' : [...options.eventTypes].sort().join(',');
  const getContextNotify = context?.getNotify;

  useEffect(() => {
    if (!enabled || connection === undefined || configError !== undefined) return undefined;
    const types = typesKey === '' ? undefined : new Set(typesKey.split(','));
    let active: AlexHoWebSocketClient;
    try {
      active = connection.acquire();
    } catch (failure) {
      // A bad option (a missing or malformed URL): the hook's error, never a crash of the route.
      setClientError(failure instanceof Error ? failure : new Error(String(failure)));
      return () => setClientError(undefined);
    }
    const readInvoices = (): readonly InvoiceState[] => {
      if (invoiceId === undefined) return connection.store.list();
      const one = connection.store.get(invoiceId);
      return one === undefined ? NO_INVOICES : [one];
    };
    setClient(active);
    setStatus(active.status);
    setClientError(active.lastError);
    setInvoices(readInvoices());
    const offStatus = active.onStatus((next, error) => {
      setStatus(next);
      setClientError(error);
    });
    const offStore = connection.store.subscribe(() => setInvoices(readInvoices()));
    setGap(connection.gap);
    const offGap = connection.onGapChange((next) => {
      setGap(next);
      if (next !== undefined) latest.current.onGap?.(next);
    });
    const offEvents = active.subscribe((event) => {
      if (types !== undefined && !types.has(event.type)) return;
      if (invoiceId !== undefined && event.data.invoiceId !== invoiceId) return;
      const current = latest.current;
      const max = current.maxEvents ?? DEFAULT_MAX_EVENTS;
      setEvents((previous) => [...previous, event].slice(-max));
      setLastEventAt(Date.now());
      current.onEvent?.(event);
      if (current.showNotifications === true && connection.claimNotification(event.id)) {
        deliverNotification(
          notificationMessage(event, current.userType ?? 'ADMIN'),
          event,
          current.notify ?? getContextNotify?.(),
        );
      }
    });
    return () => {
      offEvents();
      offGap();
      offStore();
      offStatus();
      connection.release();
      setClient(undefined);
      setStatus('idle');
    };
  }, [enabled, connection, configError, typesKey, invoiceId, getContextNotify]);

  const clearStale = useCallback(() => connection?.clearGap(), [connection]);

  return {
    status: enabled ? status : 'idle',
    events,
    lastEvent: events.length === 0 ? undefined : events[events.length - 1],
    error: configError ?? clientError,
    lastEventAt,
    invoices,
    client,
    stale: gap !== undefined,
    gap,
    clearStale,
  };
}
