/**
 * The AWS SDK clients, loaded on first use with a dynamic import: both packages are optional
 * peer dependencies, so an app that only mints tokens with a given key needs neither. Only this
 * module names them (no public type does).
 */
import { MissingDependencyError } from './errors.js';

type SnsModule = typeof import('@aws-sdk/client-sns');
type SecretsManagerModule = typeof import('@aws-sdk/client-secrets-manager');

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

async function load<T>(name: string, importer: () => Promise<T>, purpose: string): Promise<T> {
  try {
    return await importer();
  } catch (error) {
    if (!isModuleNotFound(error)) throw error;
    throw new MissingDependencyError(`${purpose} needs ${name}: npm install ${name}`, { cause: error });
  }
}

/** `@aws-sdk/client-sns` (publishing events). */
export function loadSns(): Promise<SnsModule> {
  return load('@aws-sdk/client-sns', () => import('@aws-sdk/client-sns'), 'publishing invoice events');
}

/** `@aws-sdk/client-secrets-manager` (reading the signing key). */
export function loadSecretsManager(): Promise<SecretsManagerModule> {
  return load(
    '@aws-sdk/client-secrets-manager',
    () => import('@aws-sdk/client-secrets-manager'),
    'reading the signing key from Secrets Manager',
  );
}

/** The region of an ARN (`arn:<partition>:<service>:<region>:…`), or `undefined` for a name. */
export function arnRegion(arn: string, service: string): string | undefined {
  const parts = arn.split(':');
  return parts.length > 3 && parts[0] === 'arn' && parts[2] === service && parts[3] ? parts[3] : undefined;
}
