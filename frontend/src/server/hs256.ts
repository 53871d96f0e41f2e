/// <reference types="node" />
/** Compact JWS with HS256 (RFC 7515/7518), signed with `node:crypto`. */
import { createHmac } from 'node:crypto';

const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

function base64url(text: string | Buffer): string {
  return Buffer.from(text).toString('base64url');
}

/** `claims` as a signed JWT (`header.payload.signature`); `key` is used as its UTF-8 bytes. */
export function signHs256(claims: Record<string, unknown>, key: string): string {
  const signingInput = `${HEADER}.${base64url(JSON.stringify(claims))}`;
  const signature = createHmac('sha256', Buffer.from(key, 'utf-8')).update(signingInput).digest();
  return `${signingInput}.${base64url(signature)}`;
}
