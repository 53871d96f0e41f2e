/** The SNS topic an event is published to, from its ARN. */
import { ServerConfigurationError } from './errors.js';

const TOPIC_ARN =
  /^arn:(?<partition>aws(?:-[a-z]+)*):sns:(?<region>[a-z]{2}(?:-[a-z]+)+-[0-9]+):(?<accountId>[0-9]{12}):(?<name>[A-Za-z0-9_-]{1,256}(?:\.fifo)?)$/;

/** A parsed SNS topic ARN (`arn:<partition>:sns:<region>:<account>:<name>`). */
export interface TopicArn {
  arn: string;
  partition: string;
  region: string;
  accountId: string;
  name: string;
}

/** Parse `text`; throws {@link ServerConfigurationError} naming `setting`. */
export function parseTopicArn(text: unknown, setting = 'topicArn'): TopicArn {
  if (typeof text !== 'string' || !text.trim()) {
    throw new ServerConfigurationError(`${setting} is missing: give the ARN of the invoice events SNS topic`);
  }
  const match = TOPIC_ARN.exec(text.trim());
  if (!match?.groups) {
    throw new ServerConfigurationError(`${setting} is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)`);
  }
  const { partition, region, accountId, name } = match.groups as Omit<TopicArn, 'arn'>;
  return { arn: match[0], partition, region, accountId, name };
}
