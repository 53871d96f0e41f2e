/**
 * A real WebSocket server (the `ws` package, on loopback) that speaks the AlexHo protocol the way
 * the API Gateway stack does: subprotocol echo, token check at the handshake, `ping` → `pong`,
 * `resume` from an event log then `resume-end`, `refresh` → `refreshed` / `refresh-refused`, and
 * closing a connection when its token expires. Switches let a test make it misbehave.
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { tokenExpiryMs } from '../../src/jwt.js';
import type { InvoiceEvent } from '../../src/types.js';

export const SUBPROTOCOL = 'alexho-invoice.v1';

export interface ServerConnection {
  socket: WebSocket;
  token: string;
  /** Client messages received, parsed. */
  messages: Record<string, unknown>[];
  openedAt: number;
  closed: boolean;
}

export interface ServerBehaviour {
  /** Accept this token at the handshake (default: any non-empty token). */
  acceptToken: (token: string) => boolean;
  /** Echo the subprotocol (default true). */
  echoSubprotocol: boolean;
  /** Answer pings (default true). */
  answerPings: boolean;
  /** How to answer `refresh` (default `accept`); `unsupported` answers as a server without it. */
  refresh: 'accept' | 'refuse' | 'ignore' | 'unsupported';
  /** Close a connection when its token's `exp` passes (default true). */
  enforceExpiry: boolean;
  /** Answer `resume` (default true). */
  answerResume: boolean;
  /** Close every new connection right after it opens (default false). */
  closeOnOpen: boolean;
  /** Answer `resume` with an `error` frame of this code instead (default: none). */
  resumeErrorCode: string | undefined;
  /** How far back the log reaches; older positions are answered `truncated: true` (default 1 h). */
  retentionMs: number;
  /** Replay at most this many events per `resume`, then `more: true` (default 100). */
  resumeBatch: number;
}

let eventCounter = 0;

/** A valid envelope; `overrides.data` is merged into the data. */
export function makeEvent(
  overrides: Partial<Omit<InvoiceEvent, 'data'>> & { data?: Partial<InvoiceEvent['data']> } = {},
): InvoiceEvent {
  eventCounter++;
  const invoiceId = overrides.data?.invoiceId ?? overrides.subject ?? 'INV-42';
  const customerId = overrides.data?.customerId ?? overrides.customerid ?? 'cust-42';
  const { data, ...rest } = overrides;
  return {
    specversion: '1.0',
    id: `evt-${eventCounter}-${Math.random().toString(16).slice(2, 10)}`,
    source: 'billing-service',
    type: 'INVOICE_CREATED',
    time: '2026-12-03T09:00:00Z',
    subject: invoiceId,
    customerid: customerId,
    ...rest,
    data: { invoiceId, customerId, status: 'DRAFT', ...data },
  };
}

/** A JWT-shaped token (unsigned: the client never verifies) with `exp` in epoch seconds. */
export function makeJwt(expSeconds: number, subject = 'user-1'): string {
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ sub: subject, exp: expSeconds })}.c2lnbmF0dXJl`;
}

export class ProtocolServer {
  readonly connections: ServerConnection[] = [];
  /** Every token offered at a handshake, accepted or not. */
  readonly tokensOffered: string[] = [];
  readonly behaviour: ServerBehaviour = {
    acceptToken: (token) => token.length > 0,
    echoSubprotocol: true,
    answerPings: true,
    refresh: 'accept',
    enforceExpiry: true,
    answerResume: true,
    closeOnOpen: false,
    resumeErrorCode: undefined,
    retentionMs: 3_600_000,
    resumeBatch: 100,
  };
  readonly #log: { cursor: string; event: InvoiceEvent }[] = [];
  readonly #wss: WebSocketServer;
  #cursorSerial = 0;

  private constructor(wss: WebSocketServer) {
    this.#wss = wss;
  }

  /** Starts a server on a free loopback port. */
  static async start(behaviour: Partial<ServerBehaviour> = {}): Promise<ProtocolServer> {
    let server: ProtocolServer | undefined;
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      verifyClient: (info, done) => {
        const token = tokenFromRequest(info.req.headers['sec-websocket-protocol'], info.req.url);
        if (token !== undefined) server?.tokensOffered.push(token);
        if (token === undefined || server?.behaviour.acceptToken(token) !== true) done(false, 401, 'Unauthorized');
        else done(true);
      },
      handleProtocols: (protocols) =>
        server?.behaviour.echoSubprotocol === true && protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false,
    });
    server = new ProtocolServer(wss);
    Object.assign(server.behaviour, behaviour);
    wss.on('connection', (socket, request) =>
      server.#accept(socket, request.headers['sec-websocket-protocol'], request.url),
    );
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    return server;
  }

  get url(): string {
    const { port } = this.#wss.address() as AddressInfo;
    return `ws://127.0.0.1:${port}`;
  }

  /** Connections that are still open. */
  get open(): ServerConnection[] {
    return this.connections.filter((connection) => !connection.closed);
  }

  /**
   * Records `event` in the log (at `recordedAt`, epoch ms, default now) and sends it to every
   * open connection; returns its cursor.
   */
  publish(event: InvoiceEvent, { live = true, recordedAt }: { live?: boolean; recordedAt?: number } = {}): string {
    const cursor = this.#nextCursor(recordedAt);
    this.#log.push({ cursor, event });
    if (live) for (const connection of this.open) this.send(connection, { type: 'event', cursor, event });
    return cursor;
  }

  /** Sends raw text (or a frame object) to one connection. */
  send(connection: ServerConnection, frame: unknown): void {
    connection.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Closes every open connection from the server side (as `DELETE @connections/{id}` does). */
  dropAll(code = 1001): void {
    for (const connection of this.open) connection.socket.close(code, 'going away');
  }

  /** Cuts every open connection without a close handshake (a dead network). */
  terminateAll(): void {
    for (const connection of this.open) connection.socket.terminate();
  }

  async stop(): Promise<void> {
    for (const client of this.#wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  #nextCursor(recordedAt = Date.now()): string {
    // `<13-digit ms>.<16 hex>`, sorting in arrival order like the real event log's cursors.
    this.#cursorSerial++;
    return `${String(recordedAt).padStart(13, '0')}.${this.#cursorSerial.toString(16).padStart(16, '0')}`;
  }

  #accept(socket: WebSocket, protocolHeader: string | string[] | undefined, url: string | undefined): void {
    const token = tokenFromRequest(protocolHeader, url) ?? '';
    const connection: ServerConnection = { socket, token, messages: [], openedAt: Date.now(), closed: false };
    this.connections.push(connection);
    let expiry: ReturnType<typeof setTimeout> | undefined;
    const watchExpiry = (expiresAtMs: number | undefined): void => {
      clearTimeout(expiry);
      if (!this.behaviour.enforceExpiry || expiresAtMs === undefined) return;
      expiry = setTimeout(() => socket.close(1008, 'token expired'), Math.max(0, expiresAtMs - Date.now()));
    };
    watchExpiry(tokenExpiryMs(token));
    socket.on('close', () => {
      connection.closed = true;
      clearTimeout(expiry);
    });
    socket.on('message', (data) => {
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(String(data)) as Record<string, unknown>;
      } catch {
        this.send(connection, { type: 'error', code: 'invalid-json', message: 'the message is not valid JSON' });
        return;
      }
      connection.messages.push(message);
      if (message.action === 'ping') {
        if (this.behaviour.answerPings) this.send(connection, { type: 'pong' });
      } else if (message.action === 'resume') {
        if (this.behaviour.answerResume) this.#resume(connection, message);
      } else if (message.action === 'refresh' && this.behaviour.refresh !== 'unsupported') {
        const fresh = typeof message.token === 'string' ? message.token : '';
        if (this.behaviour.refresh === 'accept' && this.behaviour.acceptToken(fresh)) {
          const expiresAtMs = tokenExpiryMs(fresh);
          watchExpiry(expiresAtMs);
          connection.token = fresh;
          this.send(connection, { type: 'refreshed', expiresAt: Math.floor((expiresAtMs ?? Date.now()) / 1000) });
        } else if (this.behaviour.refresh === 'refuse') {
          this.send(connection, { type: 'error', code: 'refresh-refused', message: 'the token was not accepted' });
        }
      } else {
        this.send(connection, { type: 'error', code: 'unknown-action', message: 'unknown action' });
      }
    });
    if (this.behaviour.closeOnOpen) socket.close(1011, 'internal error');
  }

  /** `after` a cursor or `since` epoch ms, as docs/runtime.md describes (without the overlap window). */
  #resume(connection: ServerConnection, message: Record<string, unknown>): void {
    if (this.behaviour.resumeErrorCode !== undefined) {
      this.send(connection, { type: 'error', code: this.behaviour.resumeErrorCode, message: 'resume refused' });
      return;
    }
    const { after, since } = message;
    let position: string;
    if (typeof after === 'string' && since === undefined) position = after;
    else if (Number.isSafeInteger(since) && after === undefined)
      position = `${String(since).padStart(13, '0')}.${'0'.repeat(16)}`;
    else {
      this.send(connection, { type: 'error', code: 'invalid-message', message: 'exactly one of after and since' });
      return;
    }
    const truncated = Number(position.slice(0, 13)) < Date.now() - this.behaviour.retentionMs;
    const missed = this.#log.filter((entry) => entry.cursor > position);
    const batch = missed.slice(0, this.behaviour.resumeBatch);
    for (const entry of batch) this.send(connection, { type: 'event', cursor: entry.cursor, event: entry.event });
    const cursor = batch[batch.length - 1]?.cursor ?? position;
    const more = missed.length > batch.length;
    this.send(connection, { type: 'resume-end', cursor, count: batch.length, more, truncated });
  }
}

function tokenFromRequest(protocolHeader: string | string[] | undefined, url: string | undefined): string | undefined {
  const header = Array.isArray(protocolHeader) ? protocolHeader.join(',') : protocolHeader;
  const offered = (header ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '' && entry !== SUBPROTOCOL);
  if (offered[0] !== undefined) return offered[0];
  const query = new URL(url ?? '/', 'ws://localhost').searchParams.get('token');
  return query ?? undefined;
}

/** Resolves when `predicate` holds, polling every 5 ms; fails after `timeoutMs` naming `what`. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
