/**
 * `@alexho/invoice-realtime/server`: connect tokens and event publishing for a Node backend
 * (Node 20+; a Next.js route handler, an Express or Nest service). Never import it in a browser
 * bundle. `@aws-sdk/client-secrets-manager` and `@aws-sdk/client-sns` are optional peer
 * dependencies, loaded on first use.
 */
export {
  ConnectTokenMinter,
  type ConnectTokenMinterOptions,
  type MintRequest,
  type TokenUserType,
} from './token-minter.js';
export {
  InvoiceEventPublisher,
  type BatchItem,
  type InvoiceEventPublisherOptions,
  type PublishOptions,
} from './event-publisher.js';
export {
  BatchPublishError,
  BatchPublishResult,
  type BatchEntryResult,
  type PublishFailure,
  type PublishResult,
} from './results.js';
export { buildEvent, encodeEvent, type EventParts, type InvoiceFields } from './envelope.js';
export { messageAttributes } from './sns-message.js';
export { parseTopicArn, type TopicArn } from './topic-arn.js';
export type { AwsClient } from './aws-client.js';
export {
  AlexHoServerError,
  InvalidInvoiceEventError,
  InvalidTokenRequestError,
  InvoiceEventTooLargeError,
  MissingDependencyError,
  PublishError,
  ServerConfigurationError,
  SigningKeyUnavailableError,
} from './errors.js';
export * from './limits.js';
