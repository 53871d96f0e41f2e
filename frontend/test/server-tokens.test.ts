/**
 * `ConnectTokenMinter` of `@alexho/invoice-realtime/server`: the claims and limits of the Python
 * SDK, an HS256 signature that WebCrypto verifies, and the signing key read from Secrets Manager,
 * cached and read again after the cache time. (`tests/frontend_server/` checks the tokens against
 * the Python authorizer and a running local stack.)
 */
import { webcrypto } from 'node:crypto';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import {
  ConnectTokenMinter,
  InvalidTokenRequestError,
  ServerConfigurationError,
  SigningKeyUnavailableError,
  type AwsClient,
} from '../src/server/index.js';

const KEY = 'k'.repeat(32);
const NOW_MS = 1_796_000_000_500;

function parts(token: string): { header: unknown; claims: Record<string, unknown> } {
  const [header, claims] = token
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
  return { header, claims };
}

async function verifies(token: string, key: string): Promise<boolean> {
  const [header, payload, signature] = token.split('.');
  const cryptoKey = await webcrypto.subtle.importKey(
    'raw',
    Buffer.from(key),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  return webcrypto.subtle.verify(
    'HMAC',
    cryptoKey,
    Buffer.from(signature!, 'base64url'),
    Buffer.from(`${header}.${payload}`),
  );
}

/** A stand-in for Secrets Manager that answers `GetSecretValueCommand`s from a map. */
class SecretsStandIn implements AwsClient {
  reads = 0;
  constructor(readonly secrets: Map<string, string>) {}
  async send(command: object): Promise<unknown> {
    expect(command).toBeInstanceOf(GetSecretValueCommand);
    this.reads++;
    const id = (command as GetSecretValueCommand).input.SecretId!;
    const value = this.secrets.get(id);
    if (value === undefined)
      throw Object.assign(new Error(`secret ${id} not found`), { name: 'ResourceNotFoundException' });
    return { SecretString: value };
  }
}

describe('ConnectTokenMinter.mint', () => {
  const minter = new ConnectTokenMinter({ signingKey: KEY, now: () => NOW_MS });

  it('GIVEN a customer WHEN minted THEN the token carries the Python SDK claims, in its order, signed with HS256', async () => {
    const token = await minter.mint({ sub: 'user-7', userType: 'CUSTOMER', customerId: 'cust-42' });
    const { header, claims } = parts(token);
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(Object.entries(claims)).toEqual([
      ['sub', 'user-7'],
      ['userType', 'CUSTOMER'],
      ['customerId', 'cust-42'],
      ['iat', 1_796_000_000],
      ['exp', 1_796_000_060],
    ]);
    expect(await verifies(token, KEY)).toBe(true);
    expect(await verifies(token, 'x'.repeat(32))).toBe(false);
  });

  it('GIVEN an admin with a ttl, issuer, audience and own claim names WHEN minted THEN they are in the token', async () => {
    const custom = new ConnectTokenMinter({
      signingKey: KEY,
      now: () => NOW_MS,
      issuer: 'billing',
      audience: 'invoice-ws',
      claimNames: { userType: 'role' },
    });
    const { claims } = parts(await custom.mint({ sub: 'admin-1', userType: 'ADMIN', ttlSeconds: 3600 }));
    expect(claims).toEqual({
      sub: 'admin-1',
      role: 'ADMIN',
      iat: 1_796_000_000,
      exp: 1_796_003_600,
      iss: 'billing',
      aud: 'invoice-ws',
    });
  });

  it.each([
    ['a blank sub', { sub: '  ', userType: 'ADMIN' }, /sub must be a non-blank string of at most 255/],
    ['a sub of 256 characters', { sub: 's'.repeat(256), userType: 'ADMIN' }, /at most 255/],
    ['an unknown user type', { sub: 'u', userType: 'OWNER' }, /userType must be one of ADMIN, CUSTOMER/],
    ['a customer without customerId', { sub: 'u', userType: 'CUSTOMER' }, /needs customerId/],
    [
      'a malformed customerId',
      { sub: 'u', userType: 'CUSTOMER', customerId: 'cust 42' },
      /customerId is not a valid identifier/,
    ],
    [
      'an admin with a customerId',
      { sub: 'u', userType: 'ADMIN', customerId: 'cust-42' },
      /ADMIN token carries no customerId/,
    ],
    [
      'a ttl of 3601 s',
      { sub: 'u', userType: 'ADMIN', ttlSeconds: 3601 },
      /ttlSeconds must be an integer from 1 to 3600/,
    ],
    ['a ttl of 0 s', { sub: 'u', userType: 'ADMIN', ttlSeconds: 0 }, /from 1 to 3600/],
    ['a fractional ttl', { sub: 'u', userType: 'ADMIN', ttlSeconds: 1.5 }, /from 1 to 3600/],
  ])('GIVEN %s WHEN minted THEN it rejects with InvalidTokenRequestError', async (_name, request, message) => {
    const minting = minter.mint(request as Parameters<ConnectTokenMinter['mint']>[0]);
    await expect(minting).rejects.toBeInstanceOf(InvalidTokenRequestError);
    await expect(minting).rejects.toThrow(message);
  });

  it('GIVEN a rejected request WHEN the error is read THEN it never quotes the customerId', async () => {
    const error = await minter
      .mint({ sub: 'u', userType: 'CUSTOMER', customerId: 'secret value' })
      .catch((e: Error) => e);
    expect(String(error)).not.toContain('secret value');
  });
});

describe('ConnectTokenMinter configuration', () => {
  it.each([
    ['no key source', {}, /exactly one of signingKey or secretId/],
    ['both key sources', { signingKey: KEY, secretId: 'arn' }, /exactly one/],
    ['a 31-byte key', { signingKey: 'k'.repeat(31) }, /at least 32 bytes/],
    ['a ttl of 4000 s', { signingKey: KEY, ttlSeconds: 4000 }, /from 1 to 3600/],
    ['claim names that collide', { signingKey: KEY, claimNames: { userType: 'sub' } }, /distinct/],
    ['a registered claim name', { signingKey: KEY, claimNames: { customerId: 'aud' } }, /registered JWT claims/],
    ['an empty issuer', { signingKey: KEY, issuer: '' }, /issuer must be a non-empty string/],
  ])('GIVEN %s WHEN a minter is created THEN ServerConfigurationError says what', (_name, options, message) => {
    expect(() => new ConnectTokenMinter(options)).toThrow(ServerConfigurationError);
    expect(() => new ConnectTokenMinter(options)).toThrow(message);
  });

  it('GIVEN no INVOICE_TOKEN_SECRET_ARN WHEN fromEnvironment() THEN the error names the variable', () => {
    expect(() => ConnectTokenMinter.fromEnvironment({}, {})).toThrow(/INVOICE_TOKEN_SECRET_ARN is missing/);
  });
});

describe('the signing key from Secrets Manager', () => {
  const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:key-AbCdEf';

  it('GIVEN concurrent mints WHEN the key is not cached THEN one read serves them all', async () => {
    const secrets = new SecretsStandIn(new Map([[ARN, KEY]]));
    const minter = ConnectTokenMinter.fromEnvironment({ secretsManager: secrets }, { INVOICE_TOKEN_SECRET_ARN: ARN });
    const tokens = await Promise.all([1, 2, 3].map((n) => minter.mint({ sub: `u${n}`, userType: 'ADMIN' })));
    expect(secrets.reads).toBe(1);
    for (const token of tokens) expect(await verifies(token, KEY)).toBe(true);
  });

  it('GIVEN a rotated key WHEN the cache time has passed THEN the new key signs', async () => {
    let now = NOW_MS;
    const secrets = new SecretsStandIn(new Map([[ARN, KEY]]));
    const minter = new ConnectTokenMinter({
      secretId: ARN,
      secretsManager: secrets,
      secretCacheSeconds: 300,
      now: () => now,
    });
    await minter.mint({ sub: 'u', userType: 'ADMIN' });
    const rotated = 'r'.repeat(40);
    secrets.secrets.set(ARN, rotated);
    now += 299_000;
    expect(await verifies(await minter.mint({ sub: 'u', userType: 'ADMIN' }), KEY)).toBe(true);
    now += 2_000;
    expect(await verifies(await minter.mint({ sub: 'u', userType: 'ADMIN' }), rotated)).toBe(true);
    expect(secrets.reads).toBe(2);
  });

  it('GIVEN a failing read WHEN minting THEN SigningKeyUnavailableError has the AWS code, and the next mint reads again', async () => {
    const secrets = new SecretsStandIn(new Map());
    const minter = new ConnectTokenMinter({ secretId: ARN, secretsManager: secrets });
    const error = await minter.mint({ sub: 'u', userType: 'ADMIN' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SigningKeyUnavailableError);
    expect((error as SigningKeyUnavailableError).code).toBe('ResourceNotFoundException');
    secrets.secrets.set(ARN, KEY);
    expect(await verifies(await minter.mint({ sub: 'u', userType: 'ADMIN' }), KEY)).toBe(true);
    expect(secrets.reads).toBe(2);
  });

  it('GIVEN a secret shorter than 32 bytes WHEN minting THEN it is refused, not used', async () => {
    const minter = new ConnectTokenMinter({
      secretId: ARN,
      secretsManager: new SecretsStandIn(new Map([[ARN, 'short']])),
    });
    await expect(minter.mint({ sub: 'u', userType: 'ADMIN' })).rejects.toThrow(/at least 32 bytes/);
  });
});
