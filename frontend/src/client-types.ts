/** What the client tells the application: its status, events, gaps, counters and retry plans. */
import type { AlexHoRealtimeError } from './errors.js';
import type { InvoiceEvent, ResumeEndFrame } from './types.js';

/**
 * `idle` before `connect()`; `connecting` during the first attempt; `open`; `reconnecting` from
 * the first failed attempt or lost connection until a connection opens; `closed` after `close()`,
 * or after an `unsupported` error (`lastError` says why).
 */
export type ConnectionStatus = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Delivery details of an event. */
export interface EventMeta {
  cursor: string;
}

export type EventListener = (event: InvoiceEvent, meta: EventMeta) => void;
export type StatusListener = (status: ConnectionStatus, error: AlexHoRealtimeError | undefined) => void;
/** A frame that was ignored: not JSON, not the contract, or of a type this client does not know. */
export type IgnoredListener = (ignored: { kind: 'malformed' | 'unknown'; problem: string }) => void;
export type ResumeListener = (resumeEnd: ResumeEndFrame) => void;

/**
 * Why the client cannot prove it missed nothing:
 * - `truncated`: a resume reached beyond the server's retention;
 * - `resume-failed`: the server answered a resume with an `error` frame (`serverCode`);
 * - `handover-unconfirmed`: a handover to a new connection ended without its resume's answer.
 */
export type GapReason = 'truncated' | 'resume-failed' | 'handover-unconfirmed';

/** A moment after which events may be missing: the application should refetch its state. */
export interface RealtimeGap {
  reason: GapReason;
  /** When the client noticed it (epoch ms). */
  at: number;
  /** For `resume-failed`: the code of the `error` frame. */
  serverCode?: string;
}

export type GapListener = (gap: RealtimeGap) => void;

/** Counters of what the client ignored or did. */
export interface ClientStats {
  malformedFrames: number;
  unknownFrames: number;
  duplicateEvents: number;
  errorFrames: number;
  /** Connection attempts after the first. */
  reconnects: number;
  /** Completed handovers to a new connection (max age, refused or unanswered refresh). */
  handovers: number;
  /** Tokens refreshed on an open connection. */
  refreshes: number;
  /** Gaps reported to `onGap`. */
  gaps: number;
}

/** The next reconnect: its number since the last stable connection, its delay and when it fires. */
export interface RetryPlan {
  attempt: number;
  delayMs: number;
  /** Epoch ms. */
  at: number;
}
