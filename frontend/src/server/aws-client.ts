/**
 * What the server entry needs of an AWS SDK v3 client (an `SNSClient`, a `SecretsManagerClient`),
 * declared here so that the public types never name the optional AWS SDK packages.
 */
export interface AwsClient {
  send(command: object): Promise<unknown>;
}
