'use client';
/** `AlexHoRealtimeProvider`: one client (one socket) for every `useAlexHoWebSocket` below it. */
import { useMemo, useRef, type ReactNode } from 'react';
import type { AlexHoClientOptions } from '../client.js';
import { RealtimeContext, type RealtimeContextValue } from './context.js';
import type { NotifyFunction } from './notify.js';
import { SharedConnection } from './shared-connection.js';

/** Client options other than `url` and `getToken`. */
export type ClientOptions = Omit<AlexHoClientOptions, 'url' | 'getToken'>;

export interface AlexHoRealtimeProviderProps {
  /** The WebSocket URL (`wss://…` of a deployed stack, `ws://127.0.0.1:8765` locally). */
  url: string;
  /** Returns a fresh connect token; called before every connection attempt. May change between renders. */
  getToken: () => string | Promise<string>;
  /** Client options (read when the client is created). */
  options?: ClientOptions;
  /**
   * When the page's data was loaded (epoch ms, e.g. passed down from the server component that
   * fetched it): the first connection replays every event recorded since then.
   */
  since?: number;
  /** Shows notifications (a toast library); without it, the browser Notification API is used. */
  notify?: NotifyFunction;
  children?: ReactNode;
}

/**
 * Shares one client among its hooks. The socket opens when the first enabled hook mounts and
 * closes when the last one unmounts; a new `url` means a new client.
 */
export function AlexHoRealtimeProvider({
  url,
  getToken,
  options,
  since,
  notify,
  children,
}: AlexHoRealtimeProviderProps): ReactNode {
  const latest = useRef({ getToken, options, since, notify });
  latest.current = { getToken, options, since, notify };
  const connection = useMemo(
    () =>
      new SharedConnection(() => ({
        ...latest.current.options,
        since: latest.current.since ?? latest.current.options?.since,
        url,
        getToken: () => latest.current.getToken(),
      })),
    [url],
  );
  const value = useMemo<RealtimeContextValue>(
    () => ({ connection, getNotify: () => latest.current.notify }),
    [connection],
  );
  return <RealtimeContext.Provider value={value}>{children}</RealtimeContext.Provider>;
}
