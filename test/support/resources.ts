import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { provision } from '../../local/provision.js';
import { createAwsClients } from '../../shared/aws/clients.js';
import type { Config } from '../../shared/config.js';
import { commandQueue, physicalName } from '../../shared/resources.js';
import { testConfig } from './env.js';

/**
 * A fresh set of tables and queues under a prefix of its own, for a test file that reads queues:
 * files run in parallel and must not take each other's messages. Returns env overrides.
 */
export async function isolatedResources(label: string, shardCount = 4): Promise<Record<string, string>> {
  const overrides = {
    RESOURCE_PREFIX: `${label}-${randomBytes(3).toString('hex')}`,
    SHARD_COUNT: String(shardCount),
  };
  const config = testConfig(overrides);
  const clients = createAwsClients(config);
  const raw = new DynamoDBClient({ region: config.region, endpoint: config.endpoints.dynamodb });
  await provision({
    dynamo: raw,
    sqs: clients.sqs,
    s3: clients.s3,
    prefix: config.resourcePrefix,
    bucketName: config.bucketName,
    shardCount: config.shardCount,
  });
  raw.destroy();
  return overrides;
}

export interface ReceivedMessage {
  body: string;
  groupId?: string;
  deduplicationId?: string;
}

/** Receives (and deletes) what is on a queue until it has been empty for one short poll. */
export async function drainQueue(sqs: SQSClient, queueName: string): Promise<ReceivedMessage[]> {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
  const out: ReceivedMessage[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['MessageGroupId', 'MessageDeduplicationId'],
      }),
    );
    if (Messages.length === 0) return out;
    for (const m of Messages) {
      out.push({
        body: m.Body ?? '',
        groupId: m.Attributes?.MessageGroupId,
        deduplicationId: m.Attributes?.MessageDeduplicationId,
      });
      await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
}

export const commandQueueName = (config: Config, shard: number) =>
  physicalName(config.resourcePrefix, commandQueue(shard).name);

/** Messages of a queue received by some consumer and not yet deleted or visible again. */
export async function inFlightCount(sqs: SQSClient, queueName: string): Promise<number> {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}
