'use client';
import { createContext } from 'react';
import type { NotifyFunction } from './notify.js';
import type { SharedConnection } from './shared-connection.js';

export interface RealtimeContextValue {
  connection: SharedConnection;
  notify: NotifyFunction | undefined;
}

export const RealtimeContext = createContext<RealtimeContextValue | null>(null);
