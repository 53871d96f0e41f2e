'use client';
import { createContext } from 'react';
import type { NotifyFunction } from './notify.js';
import type { SharedConnection } from './shared-connection.js';

export interface RealtimeContextValue {
  connection: SharedConnection;
  /** The provider's latest `notify` (read when an event arrives, so a new function re-subscribes nothing). */
  getNotify: () => NotifyFunction | undefined;
}

export const RealtimeContext = createContext<RealtimeContextValue | null>(null);
