'use client';
/**
 * `@alexho/invoice-realtime/react`: `useAlexHoWebSocket` and `AlexHoRealtimeProvider`.
 * A client module (Next.js App Router): safe to import and render on the server, where it opens
 * no socket.
 */
export { AlexHoRealtimeProvider, type AlexHoRealtimeProviderProps, type ClientOptions } from './provider.js';
export {
  useAlexHoWebSocket,
  type UseAlexHoWebSocketOptions,
  type UseAlexHoWebSocketResult,
} from './use-alexho-websocket.js';
export { deliverNotification, type NotifyFunction } from './notify.js';
export { SharedConnection } from './shared-connection.js';
