/// <reference types="node" />
/** Compact JWS with HS256 (RFC 7515/7518), signed with `node:crypto`. */
import { createHmac } from 'node:crypto';

const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

function base64url(text: string | Buffer): string {
  return Buffer.from(text).toString('base64url');
}

/** JSON with every non-ASCII UTF-16 unit escaped (`\u00e9`), as Python's `json.dumps` writes it. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u0080-\uffff]/g,
    (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * `claims` as a signed JWT (`header.payload.signature`); `key` is used as its UTF-8 bytes. The
 * payload is written as PyJWT writes it, so the same claims give the Python SDK's token.
 */
export function signHs256(claims: Record<string, unknown>, key: string): string {
  const signingInput = `${HEADER}.${base64url(asciiJson(claims))}`;
  const signature = createHmac('sha256', Buffer.from(key, 'utf-8')).update(signingInput).digest();
  return `${signingInput}.${base64url(signature)}`;
}
