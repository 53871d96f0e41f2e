import { describe, expect, it } from 'vitest';
import { RecentIds } from '../src/dedup.js';
import { tokenExpiryMs } from '../src/jwt.js';
import { makeJwt } from './support/protocol-server.js';

describe('tokenExpiryMs', () => {
  it('reads exp from a JWT payload, in ms', () => {
    expect(tokenExpiryMs(makeJwt(1_800_000_000))).toBe(1_800_000_000_000);
  });

  it('is undefined for anything that is not a JWT with a numeric exp', () => {
    const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const token of [
      'opaque-token',
      'a.b',
      'a.!!!.c',
      `x.${encode({ sub: 'u' })}.y`,
      `x.${encode({ exp: '1' })}.y`,
      `x.${encode([1])}.y`,
      'a.b.c.d',
    ]) {
      expect(tokenExpiryMs(token)).toBeUndefined();
    }
  });
});

describe('RecentIds', () => {
  it('forgets the oldest id beyond its capacity', () => {
    const ids = new RecentIds(2);
    expect([ids.add('a'), ids.add('b'), ids.add('a'), ids.add('c')]).toEqual([true, true, false, true]);
    expect(ids.size).toBe(2);
    expect(ids.has('a')).toBe(false);
    expect(() => new RecentIds(0)).toThrow(RangeError);
  });
});
