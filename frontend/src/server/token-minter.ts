/// <reference types="node" />
/**
 * Short-lived HS256 connect tokens for the WebSocket API's `$connect`, with the Python SDK's
 * claims and limits (`publisher/alexho_invoice_publisher/tokens.py`): a backend mints one per
 * page load for the logged-in user and hands it to the browser.
 */
import type { AwsClient } from './aws-client.js';
import { InvalidTokenRequestError, ServerConfigurationError } from './errors.js';
import { signHs256 } from './hs256.js';
import {
  DEFAULT_CLAIM_NAMES,
  DEFAULT_SECRET_CACHE_SECONDS,
  DEFAULT_TTL_SECONDS,
  MAX_SUBJECT_LENGTH,
  MAX_TTL_SECONDS,
  MIN_TTL_SECONDS,
  REGISTERED_CLAIMS,
  TOKEN_SECRET_ARN_ENV,
} from './limits.js';
import { SecretsManagerSigningKey, StaticSigningKey, type SigningKeySource } from './signing-key.js';
import { PATTERNS } from '../types.js';

/** Who a token is for: `ADMIN` (every customer) or `CUSTOMER` (one customer's invoices). */
export type TokenUserType = 'ADMIN' | 'CUSTOMER';

export interface ConnectTokenMinterOptions {
  /** The raw HS256 key (at least 32 bytes). Give this or `secretId`. */
  signingKey?: string;
  /** ARN or name of the Secrets Manager secret whose SecretString is the key. */
  secretId?: string;
  /** A `SecretsManagerClient` to read the secret with (default: one in the ARN's region). */
  secretsManager?: AwsClient;
  /** Default lifetime of a token, 1…3600 s (default 60). */
  ttlSeconds?: number;
  /** Add `iss` / `aud` (set them when the authorizer checks them). */
  issuer?: string;
  audience?: string;
  /** Claim names; they must match the authorizer's (default `sub`, `userType`, `customerId`). */
  claimNames?: Partial<Record<keyof typeof DEFAULT_CLAIM_NAMES, string>>;
  /** How long a key read from Secrets Manager is reused before it is read again (default 300 s). */
  secretCacheSeconds?: number;
  /** Epoch milliseconds (default `Date.now`). */
  now?: () => number;
}

export interface MintRequest {
  /** The user: a non-blank string of at most 255 characters. */
  sub: string;
  userType: TokenUserType;
  /** Required for a `CUSTOMER` (an identifier as the event schema defines it), absent for an `ADMIN`. */
  customerId?: string | null;
  /** Overrides the minter's lifetime (1…3600 s). */
  ttlSeconds?: number;
}

const IDENTIFIER = new RegExp(PATTERNS.identifier);

/** Mints connect tokens with one signing key source and one set of claim settings. */
export class ConnectTokenMinter {
  readonly #key: SigningKeySource;
  readonly #ttlSeconds: number;
  readonly #issuer: string | undefined;
  readonly #audience: string | undefined;
  readonly #claims: Record<keyof typeof DEFAULT_CLAIM_NAMES, string>;
  readonly #now: () => number;

  constructor(options: ConnectTokenMinterOptions) {
    const { signingKey, secretId } = options;
    if ((signingKey === undefined) === (secretId === undefined)) {
      throw new ServerConfigurationError('give exactly one of signingKey or secretId');
    }
    this.#now = options.now ?? Date.now;
    const cacheSeconds = options.secretCacheSeconds ?? DEFAULT_SECRET_CACHE_SECONDS;
    if (!Number.isFinite(cacheSeconds) || cacheSeconds < 0) {
      throw new ServerConfigurationError('secretCacheSeconds must be a number >= 0');
    }
    this.#key =
      signingKey !== undefined
        ? new StaticSigningKey(signingKey)
        : new SecretsManagerSigningKey(secretId!, {
            client: options.secretsManager,
            cacheMs: cacheSeconds * 1000,
            now: this.#now,
          });
    this.#ttlSeconds = checkTtl(options.ttlSeconds ?? DEFAULT_TTL_SECONDS, ServerConfigurationError);
    for (const [name, value] of [
      ['issuer', options.issuer],
      ['audience', options.audience],
    ] as const) {
      if (value !== undefined && (typeof value !== 'string' || !value)) {
        throw new ServerConfigurationError(`${name} must be a non-empty string or undefined`);
      }
    }
    this.#issuer = options.issuer;
    this.#audience = options.audience;
    this.#claims = { ...DEFAULT_CLAIM_NAMES, ...options.claimNames };
    const names = Object.values(this.#claims);
    if (!names.every((name) => typeof name === 'string' && name)) {
      throw new ServerConfigurationError('claim names must be non-empty strings');
    }
    if (new Set(names).size !== names.length || names.some((name) => REGISTERED_CLAIMS.has(name))) {
      throw new ServerConfigurationError(
        'claim names must be distinct and not registered JWT claims (iat, exp, iss, aud…)',
      );
    }
  }

  /**
   * A minter whose key is the secret named by `INVOICE_TOKEN_SECRET_ARN` (as `alexho-local env`
   * exports it; on AWS, the stack output `AuthSecretArn`).
   */
  static fromEnvironment(
    options: Omit<ConnectTokenMinterOptions, 'signingKey' | 'secretId'> = {},
    env: Record<string, string | undefined> = process.env,
  ): ConnectTokenMinter {
    const secretId = env[TOKEN_SECRET_ARN_ENV]?.trim();
    if (!secretId) {
      throw new ServerConfigurationError(
        `${TOKEN_SECRET_ARN_ENV} is missing: give the ARN of the connect token signing key secret`,
      );
    }
    return new ConnectTokenMinter({ ...options, secretId });
  }

  /**
   * A signed token for `sub`. A `CUSTOMER` token needs `customerId`; an `ADMIN` token must not
   * have one (admins see every customer). Bad claims reject with {@link InvalidTokenRequestError}.
   */
  async mint(request: MintRequest): Promise<string> {
    const { sub, userType, customerId } = request;
    checkSubject(sub);
    const claims: Record<string, unknown> = { [this.#claims.sub]: sub, [this.#claims.userType]: userType };
    if (userType === 'CUSTOMER') {
      checkCustomerId(customerId);
      claims[this.#claims.customerId] = customerId;
    } else if (userType === 'ADMIN') {
      if (customerId !== undefined && customerId !== null) {
        throw new InvalidTokenRequestError('an ADMIN token carries no customerId (admins see every customer)');
      }
    } else {
      throw new InvalidTokenRequestError('userType must be one of ADMIN, CUSTOMER');
    }
    const ttl = request.ttlSeconds === undefined ? this.#ttlSeconds : checkTtl(request.ttlSeconds);
    const issuedAt = Math.floor(this.#now() / 1000);
    claims.iat = issuedAt;
    claims.exp = issuedAt + ttl;
    if (this.#issuer !== undefined) claims.iss = this.#issuer;
    if (this.#audience !== undefined) claims.aud = this.#audience;
    return signHs256(claims, await this.#key.key());
  }
}

function checkSubject(sub: unknown): void {
  if (typeof sub !== 'string' || !sub.trim() || [...sub].length > MAX_SUBJECT_LENGTH) {
    throw new InvalidTokenRequestError(`sub must be a non-blank string of at most ${MAX_SUBJECT_LENGTH} characters`);
  }
}

function checkCustomerId(customerId: unknown): asserts customerId is string {
  if (customerId === undefined || customerId === null) {
    throw new InvalidTokenRequestError('a CUSTOMER token needs customerId');
  }
  if (typeof customerId !== 'string' || !IDENTIFIER.test(customerId)) {
    throw new InvalidTokenRequestError(`customerId is not a valid identifier (pattern ${PATTERNS.identifier})`);
  }
}

function checkTtl(ttl: unknown, ErrorClass: new (message: string) => Error = InvalidTokenRequestError): number {
  if (!Number.isSafeInteger(ttl) || (ttl as number) < MIN_TTL_SECONDS || (ttl as number) > MAX_TTL_SECONDS) {
    throw new ErrorClass(`ttlSeconds must be an integer from ${MIN_TTL_SECONDS} to ${MAX_TTL_SECONDS}`);
  }
  return ttl as number;
}
