/**
 * Errors of the server entry; every one derives from {@link AlexHoServerError}. Messages name
 * what is wrong (a path and rule, an AWS error code), never an event's data, a key or a token.
 */

/** Base class of every error `@alexho/invoice-realtime/server` throws. */
export class AlexHoServerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Missing or malformed configuration: topic ARN, region, source, signing key source. */
export class ServerConfigurationError extends AlexHoServerError {}

/** An optional peer dependency (an AWS SDK client package) is not installed. */
export class MissingDependencyError extends AlexHoServerError {}

/** A connect token cannot be minted for these claims (subject, user type, customer id, ttl). */
export class InvalidTokenRequestError extends AlexHoServerError {}

/** The HS256 signing key could not be read from Secrets Manager; `code` is the AWS error code. */
export class SigningKeyUnavailableError extends AlexHoServerError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * An event that breaks the contract; nothing was published. `problems` lists `"<path>: <rule>"`
 * entries (never values); `index` is the item's position in a batch.
 */
export class InvalidInvoiceEventError extends AlexHoServerError {
  constructor(
    readonly problems: string[],
    readonly index?: number,
  ) {
    super(`${index === undefined ? '' : `batch item ${index}: `}invalid invoice event: ${problems.join('; ')}`);
  }
}

/** An event whose client frame would exceed API Gateway's 128 KB message limit. */
export class InvoiceEventTooLargeError extends InvalidInvoiceEventError {}

/** SNS did not take the event; `code` is the AWS error code (or the SDK error's name). */
export class PublishError extends AlexHoServerError {
  constructor(
    readonly code: string,
    message: string,
    readonly eventId?: string,
  ) {
    super(`SNS did not accept ${eventId ? `event ${eventId}` : 'the event'}: ${code}: ${message}`);
  }
}

/**
 * `code` and `message` of an AWS SDK (or any) error. The code is the one on the wire, as boto3
 * reports it (`Code` of a query-protocol error such as SNS's `NotFound`, whose `name` is
 * `NotFoundException`), else the error's name.
 */
export function awsErrorDetails(error: unknown): { code: string; message: string } {
  if (!(error instanceof Error)) return { code: 'Unknown', message: String(error) };
  const wireCode = (error as { Code?: unknown }).Code;
  return { code: typeof wireCode === 'string' && wireCode ? wireCode : error.name || 'Error', message: error.message };
}
