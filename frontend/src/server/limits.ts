/**
 * The contract's limits, as the Python SDK and the Lambda runtime define them
 * (`lambda_src/alexho_invoice_runtime/definitions.py`, `contract/envelope.py`,
 * `publisher/alexho_invoice_publisher/tokens.py`); `tests/frontend_server/test_server_entry.py`
 * compares them with the Python values.
 */

/** Default lifetime of a connect token, in seconds. */
export const DEFAULT_TTL_SECONDS = 60;
/** Shortest and longest lifetime a minter accepts (the authorizer's default maximum is 1 h). */
export const MIN_TTL_SECONDS = 1;
export const MAX_TTL_SECONDS = 3600;
/** RFC 7518 §3.2: an HS256 key has at least 256 bits. */
export const MIN_KEY_BYTES = 32;
/** OpenID Connect Core §2: `sub` is at most 255 ASCII characters. */
export const MAX_SUBJECT_LENGTH = 255;
/** How long a minter reuses a key read from Secrets Manager before reading it again. */
export const DEFAULT_SECRET_CACHE_SECONDS = 300;
/** The claims the authorizer reads unless configured otherwise. */
export const DEFAULT_CLAIM_NAMES = { sub: 'sub', userType: 'userType', customerId: 'customerId' } as const;
/** Registered JWT claims a custom claim name may not take. */
export const REGISTERED_CLAIMS: ReadonlySet<string> = new Set(['iat', 'exp', 'nbf', 'iss', 'aud', 'jti']);

/** `source` of the envelopes a publisher builds unless told otherwise. */
export const DEFAULT_SOURCE = 'invoice-service';
/** Environment variables `fromEnvironment()` reads (as `alexho-local env` exports them). */
export const TOPIC_ARN_ENV = 'ALEXHO_INVOICE_TOPIC_ARN';
export const TOKEN_SECRET_ARN_ENV = 'INVOICE_TOKEN_SECRET_ARN';

/** API Gateway's WebSocket message limit. */
export const MAX_MESSAGE_BYTES = 128 * 1024;
/** Longest cursor the runtime puts in an event frame; the size budget reserves room for it. */
export const MAX_CURSOR_LENGTH = 96;
/** Bytes a frame adds around its envelope when the cursor has its maximum length. */
export const FRAME_OVERHEAD_BYTES =
  JSON.stringify({ type: 'event', cursor: 'c'.repeat(MAX_CURSOR_LENGTH), event: {} }).length - 2;
/** Largest encoded envelope that still reaches a client whole. */
export const MAX_EVENT_BYTES = MAX_MESSAGE_BYTES - FRAME_OVERHEAD_BYTES;

/** SNS message attributes (DataType `String`) on every event, for subscription filter policies. */
export const EVENT_TYPE_MESSAGE_ATTRIBUTE = 'eventType';
export const CUSTOMER_ID_MESSAGE_ATTRIBUTE = 'customerId';
/** Most entries, and most bytes of messages and attributes, in one SNS PublishBatch call. */
export const MAX_BATCH_ENTRIES = 10;
export const MAX_BATCH_PAYLOAD_BYTES = 256 * 1024;
