/** The errors the client reports in `lastError`; their messages never contain a token. */

/**
 * - `unauthorized`: handshakes failed several times in a row (a refused token, or no server to
 *   answer: a browser cannot tell the two apart), or `getToken()` failed;
 * - `unavailable`: connections closed soon after opening, several times in a row;
 * - `protocol`: the server did not echo the subprotocol;
 * - `server`: the server answered an `error` frame (the connection stays);
 * - `token`: `getToken()` threw (the message includes its message, `cause` is what it threw) or
 *   returned something that is not a non-empty string;
 * - `unsupported`: a permanent problem, retrying cannot help (no `WebSocket` implementation, or
 *   the `WebSocket` constructor refused the URL): the client stops (`closed`).
 */
export type RealtimeErrorCode = 'unauthorized' | 'unavailable' | 'protocol' | 'server' | 'token' | 'unsupported';

/** An error the client reports in `lastError`; its message never contains a token. */
export class AlexHoRealtimeError extends Error {
  override readonly name = 'AlexHoRealtimeError';

  constructor(
    readonly code: RealtimeErrorCode,
    message: string,
    /** For `server` errors: the code of the `error` frame. */
    readonly serverCode?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `error` as a realtime error (`unavailable` for anything that is not one already). */
export function asRealtimeError(error: unknown): AlexHoRealtimeError {
  if (error instanceof AlexHoRealtimeError) return error;
  return new AlexHoRealtimeError('unavailable', error instanceof Error ? error.message : 'the connection failed');
}

/** Calls `getToken` and checks its answer; failures keep the app's message and `cause`. */
export async function fetchToken(getToken: () => string | Promise<string>): Promise<string> {
  let token: unknown;
  try {
    token = await getToken();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new AlexHoRealtimeError('token', `getToken() failed: ${message}`, undefined, { cause: error });
  }
  if (typeof token !== 'string' || token.length === 0) {
    throw new AlexHoRealtimeError('token', 'getToken() must return a non-empty string');
  }
  return token;
}
