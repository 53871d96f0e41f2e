/**
 * One WebSocket and its liveness: the subprotocol check, the handshake deadline, and `ping` with a
 * `pong` deadline. The client decides what to do with it; a link only reports.
 */
import { parseServerFrame, type ParsedFrame } from './frames.js';
import { SUBPROTOCOL, type ClientMessage } from './types.js';

/** Close codes this client uses (the WebSocket API lets clients send 1000 or 3000-4999). */
export const CLOSE_CODES = {
  normal: 1000,
  pongTimeout: 4000,
  handshakeTimeout: 4001,
  subprotocolMissing: 4002,
} as const;

/** Why a link ended, as the client sees it. */
export interface LinkEnd {
  /** The handshake had completed (with the subprotocol echoed). */
  opened: boolean;
  code: number;
  reason: 'closed' | 'pong-timeout' | 'handshake-timeout' | 'subprotocol-missing';
}

export interface LinkHandlers {
  onOpen(link: Link): void;
  onFrame(link: Link, parsed: ParsedFrame): void;
  onEnd(link: Link, end: LinkEnd): void;
}

export interface LinkTimings {
  pingIntervalMs: number;
  pongTimeoutMs: number;
  handshakeTimeoutMs: number;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocket;

let nextLinkId = 1;

export class Link {
  readonly id = nextLinkId++;
  readonly createdAt = Date.now();
  openedAt: number | undefined;
  /** The token this connection was opened (or last refreshed) with. */
  token: string;
  #ws: WebSocket;
  #ended = false;
  #handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #pongTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    ws: WebSocket,
    token: string,
    readonly handlers: LinkHandlers,
    readonly timings: LinkTimings,
  ) {
    this.#ws = ws;
    this.token = token;
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => this.#opened();
    ws.onmessage = (message: MessageEvent) => this.#received(message.data);
    ws.onclose = (event: CloseEvent) => this.#end({ opened: this.isOpen, code: event.code, reason: 'closed' });
    // An error is always followed by a close event; the close decides.
    ws.onerror = () => undefined;
    this.#handshakeTimer = setTimeout(() => {
      this.#fail(CLOSE_CODES.handshakeTimeout, 'handshake-timeout');
    }, timings.handshakeTimeoutMs);
  }

  get isOpen(): boolean {
    return this.openedAt !== undefined && !this.#ended;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Sends one client message; false when the socket is not open. */
  send(message: ClientMessage): boolean {
    if (!this.isOpen || this.#ws.readyState !== 1) return false;
    this.#ws.send(JSON.stringify(message));
    return true;
  }

  /** Sends a `ping` now and expects a `pong` within the deadline (unless one is already awaited). */
  checkAlive(): void {
    if (!this.isOpen || this.#pongTimer !== undefined) return;
    if (!this.send({ action: 'ping' })) return;
    this.#pongTimer = setTimeout(() => {
      this.#fail(CLOSE_CODES.pongTimeout, 'pong-timeout');
    }, this.timings.pongTimeoutMs);
  }

  /** Closes the socket without reporting an end (the client chose it). */
  close(code: number = CLOSE_CODES.normal, reason = ''): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#stopTimers();
    this.#detach();
    try {
      this.#ws.close(code, reason);
    } catch {
      // Already closing or closed.
    }
  }

  #opened(): void {
    if (this.#ended) return;
    clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
    if (this.#ws.protocol !== SUBPROTOCOL) {
      this.#fail(CLOSE_CODES.subprotocolMissing, 'subprotocol-missing');
      return;
    }
    this.openedAt = Date.now();
    this.#pingTimer = setInterval(() => this.checkAlive(), this.timings.pingIntervalMs);
    this.handlers.onOpen(this);
  }

  #received(data: unknown): void {
    if (this.#ended) return;
    const parsed = parseServerFrame(data);
    if (parsed.kind === 'frame' && parsed.frame.type === 'pong') {
      clearTimeout(this.#pongTimer);
      this.#pongTimer = undefined;
    }
    this.handlers.onFrame(this, parsed);
  }

  #fail(code: number, reason: LinkEnd['reason']): void {
    if (this.#ended) return;
    const opened = this.isOpen;
    this.close(code, reason);
    this.handlers.onEnd(this, { opened, code, reason });
  }

  #end(end: LinkEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#stopTimers();
    this.#detach();
    this.handlers.onEnd(this, end);
  }

  #stopTimers(): void {
    clearTimeout(this.#handshakeTimer);
    clearInterval(this.#pingTimer);
    clearTimeout(this.#pongTimer);
    this.#handshakeTimer = this.#pingTimer = this.#pongTimer = undefined;
  }

  #detach(): void {
    this.#ws.onopen = this.#ws.onmessage = this.#ws.onclose = null;
    // Keep a no-op error handler: some runtimes report an unhandled error event otherwise.
    this.#ws.onerror = () => undefined;
  }
}
