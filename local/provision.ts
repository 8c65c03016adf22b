import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  commandQueue,
  deadLetterName,
  physicalName,
  type QueueDefinition,
  type TableDefinition,
  tables,
  webhookQueue,
} from '../shared/resources.js';

/**
 * Creates the tables, queues and bucket of `shared/resources.ts` on local servers when missing.
 * In AWS the CDK app creates the same resources from the same definitions.
 */

export interface ProvisionTarget {
  dynamo: DynamoDBClient;
  sqs: SQSClient;
  s3: S3Client;
  prefix: string;
  bucketName: string;
  shardCount: number;
}

export async function provision(target: ProvisionTarget): Promise<void> {
  await Promise.all(Object.values(tables).map((table) => ensureTable(target.dynamo, target.prefix, table)));
  const queues = [
    webhookQueue,
    ...Array.from({ length: target.shardCount }, (_, shard) => commandQueue(shard)),
  ];
  // Few at a time: fauxqs is in-process and 32 shards make 66 queues.
  for (let i = 0; i < queues.length; i += 8) {
    await Promise.all(queues.slice(i, i + 8).map((q) => ensureQueue(target.sqs, target.prefix, q)));
  }
  try {
    await target.s3.send(new CreateBucketCommand({ Bucket: target.bucketName }));
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
  }
}

export function createTableInput(prefix: string, table: TableDefinition): CreateTableCommandInput {
  const attributes = new Map<string, 'S' | 'N'>();
  const keySchema = (pk: { name: string; type: 'S' | 'N' }, sk?: { name: string; type: 'S' | 'N' }) => {
    attributes.set(pk.name, pk.type);
    if (sk) attributes.set(sk.name, sk.type);
    return [
      { AttributeName: pk.name, KeyType: 'HASH' as const },
      ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' as const }] : []),
    ];
  };
  const KeySchema = keySchema(table.partitionKey, table.sortKey);
  const indexes = table.globalIndexes?.map((index) => ({
    IndexName: index.indexName,
    KeySchema: keySchema(index.partitionKey, index.sortKey),
    Projection: { ProjectionType: 'ALL' as const },
  }));
  return {
    TableName: physicalName(prefix, table.id),
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema,
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType,
    })),
    GlobalSecondaryIndexes: indexes,
  };
}

async function ensureTable(dynamo: DynamoDBClient, prefix: string, table: TableDefinition): Promise<void> {
  const input = createTableInput(prefix, table);
  try {
    await dynamo.send(new CreateTableCommand(input));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    return; // exists already (npm start on a kept database)
  }
  for (let i = 0; i < 100; i++) {
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: input.TableName }));
    if (Table?.TableStatus === 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (table.ttlAttribute) {
    await dynamo.send(
      new UpdateTimeToLiveCommand({
        TableName: input.TableName,
        TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
      }),
    );
  }
}

async function ensureQueue(sqs: SQSClient, prefix: string, queue: QueueDefinition): Promise<void> {
  const fifo = queue.fifo ? { FifoQueue: 'true' } : {};
  const dlq = await sqs.send(
    new CreateQueueCommand({
      QueueName: physicalName(prefix, deadLetterName(queue)),
      Attributes: { ...fifo, MessageRetentionPeriod: String(14 * 24 * 3600) },
    }),
  );
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await sqs.send(
    new CreateQueueCommand({
      QueueName: physicalName(prefix, queue.name),
      Attributes: {
        ...fifo,
        VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
        MessageRetentionPeriod: String(queue.retentionSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: Attributes?.QueueArn,
          maxReceiveCount: queue.maxReceiveCount,
        }),
      },
    }),
  );
}
