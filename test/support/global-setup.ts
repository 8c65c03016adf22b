import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { TestProject } from 'vitest/node';
import { provision } from '../../local/provision.js';
import { startDynamoLocal, startFauxqsServer } from '../../local/servers.js';
import { TEST_ENV_DEFAULTS } from './env-defaults.js';

/**
 * Starts DynamoDB Local (in memory) and fauxqs on random loopback ports once per run, provisions
 * every table, queue and bucket, and hands the endpoints to the workers through `provide`.
 */
export default async function setup(project: TestProject) {
  const [dynamoServer, fauxqs] = await Promise.all([startDynamoLocal(), startFauxqsServer()]);
  const region = TEST_ENV_DEFAULTS.AWS_REGION;
  const credentials = {
    accessKeyId: TEST_ENV_DEFAULTS.AWS_ACCESS_KEY_ID,
    secretAccessKey: TEST_ENV_DEFAULTS.AWS_SECRET_ACCESS_KEY,
  };
  const dynamo = new DynamoDBClient({ region, credentials, endpoint: dynamoServer.endpoint });
  const sqs = new SQSClient({ region, credentials, endpoint: fauxqs.endpoint, useQueueUrlAsEndpoint: false });
  const s3 = new S3Client({ region, credentials, endpoint: fauxqs.endpoint, forcePathStyle: true });
  await provision({
    dynamo,
    sqs,
    s3,
    prefix: TEST_ENV_DEFAULTS.RESOURCE_PREFIX,
    bucketName: TEST_ENV_DEFAULTS.BUCKET_NAME,
    shardCount: Number(TEST_ENV_DEFAULTS.SHARD_COUNT),
  });
  dynamo.destroy();
  sqs.destroy();
  s3.destroy();

  project.provide('awsEndpoints', { dynamodb: dynamoServer.endpoint, sqsS3: fauxqs.endpoint });

  return async () => {
    await Promise.all([dynamoServer.stop(), fauxqs.stop()]);
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    awsEndpoints: { dynamodb: string; sqsS3: string };
  }
}
