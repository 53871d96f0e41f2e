/**
 * The HS256 signing key: given directly, or read from Secrets Manager (the raw SecretString of
 * the construct's secret) and cached for a while, so a backend does not call Secrets Manager per
 * token and still picks up a rotated key.
 */
import type { AwsClient } from './aws-client.js';
import { arnRegion, loadSecretsManager } from './aws-sdk.js';
import { awsErrorDetails, ServerConfigurationError, SigningKeyUnavailableError } from './errors.js';
import { MIN_KEY_BYTES } from './limits.js';

/** Where a minter gets its key from. */
export interface SigningKeySource {
  key(): Promise<string>;
}

/** Throws unless `key` is a string of at least {@link MIN_KEY_BYTES} UTF-8 bytes (RFC 7518 §3.2). */
export function checkSigningKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || new TextEncoder().encode(key).length < MIN_KEY_BYTES) {
    throw new ServerConfigurationError(`the HS256 signing key must be a string of at least ${MIN_KEY_BYTES} bytes`);
  }
}

/** A key held in memory. */
export class StaticSigningKey implements SigningKeySource {
  readonly #key: string;

  constructor(key: string) {
    checkSigningKey(key);
    this.#key = key;
  }

  key(): Promise<string> {
    return Promise.resolve(this.#key);
  }
}

/**
 * A key read from a Secrets Manager secret, reused for `cacheMs` and then read again. Concurrent
 * callers share one read; a failed read is not cached (the next call tries again).
 */
export class SecretsManagerSigningKey implements SigningKeySource {
  #client: AwsClient | undefined;
  readonly #cacheMs: number;
  readonly #now: () => number;
  #cached: { key: string; readAt: number } | undefined;
  #reading: Promise<string> | undefined;

  constructor(
    readonly secretId: string,
    options: { client?: AwsClient | undefined; cacheMs: number; now: () => number },
  ) {
    if (typeof secretId !== 'string' || !secretId.trim()) {
      throw new ServerConfigurationError("secretId must be a secret's ARN or name");
    }
    this.#client = options.client;
    this.#cacheMs = options.cacheMs;
    this.#now = options.now;
  }

  key(): Promise<string> {
    const cached = this.#cached;
    if (cached && this.#now() - cached.readAt < this.#cacheMs) return Promise.resolve(cached.key);
    this.#reading ??= this.#read().finally(() => {
      this.#reading = undefined;
    });
    return this.#reading;
  }

  async #read(): Promise<string> {
    const sdk = await loadSecretsManager();
    const region = arnRegion(this.secretId, 'secretsmanager');
    this.#client ??= new sdk.SecretsManagerClient(region ? { region } : {});
    let response: { SecretString?: string | undefined };
    try {
      response = (await this.#client.send(new sdk.GetSecretValueCommand({ SecretId: this.secretId }))) as {
        SecretString?: string;
      };
    } catch (error) {
      const { code } = awsErrorDetails(error);
      throw new SigningKeyUnavailableError(code, `could not read the signing key secret ${this.secretId} (${code})`);
    }
    const key = response.SecretString;
    if (typeof key !== 'string' || !key) {
      throw new SigningKeyUnavailableError(
        'NoSecretString',
        `secret ${this.secretId} has no SecretString (the raw signing key is expected)`,
      );
    }
    checkSigningKey(key);
    this.#cached = { key, readAt: this.#now() };
    return key;
  }
}
