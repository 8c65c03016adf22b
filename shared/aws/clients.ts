import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../config.js';

export interface AwsClients {
  dynamo: DynamoDBDocumentClient;
  sqs: SQSClient;
  s3: S3Client;
}

/**
 * SDK clients whose endpoints come from configuration: unset in AWS, DynamoDB Local / fauxqs locally.
 * With an endpoint set, SQS must not route by queue URL (fauxqs answers `sqs.<region>.localhost`,
 * which does not resolve) and S3 must use path-style addressing.
 */
export function createAwsClients(config: Pick<Config, 'region' | 'endpoints'>): AwsClients {
  const { region, endpoints } = config;
  // A socket host resuming hundreds of sessions reads and writes auth state in parallel; the SDK's
  // default of 50 sockets queues those calls behind each other.
  const requestHandler = { httpAgent: { maxSockets: 256 }, httpsAgent: { maxSockets: 256 } };
  const raw = new DynamoDBClient({ region, endpoint: endpoints.dynamodb, maxAttempts: 4, requestHandler });
  return {
    dynamo: DynamoDBDocumentClient.from(raw, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    }),
    sqs: new SQSClient({ region, endpoint: endpoints.sqs, useQueueUrlAsEndpoint: !endpoints.sqs }),
    s3: new S3Client({
      region,
      endpoint: endpoints.s3,
      forcePathStyle: Boolean(endpoints.s3),
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
  };
}
