import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { provision } from '../local/provision.js';
import { type RunningServer, startDynamoLocal, startFauxqsServer } from '../local/servers.js';
import { createAwsClients } from '../shared/aws/clients.js';
import { type Config, loadConfig } from '../shared/config.js';

/** DynamoDB Local (in memory) and fauxqs, provisioned, with a Config pointed at them. */
export async function startBenchStack(env: Record<string, string> = {}): Promise<{
  config: Config;
  stop(): Promise<void>;
}> {
  const servers: RunningServer[] = await Promise.all([startDynamoLocal(), startFauxqsServer()]);
  const [dynamo, fauxqs] = servers as [RunningServer, RunningServer];
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_REGION: 'us-east-1',
  });
  const config = loadConfig({
    WAFLEET_ENV: 'local',
    LOG_LEVEL: 'silent',
    SHARD_COUNT: '4',
    PORT: '0',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_SQS: fauxqs.endpoint,
    AWS_ENDPOINT_URL_S3: fauxqs.endpoint,
    ...env,
  });
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
  return { config, stop: async () => void (await Promise.all(servers.map((s) => s.stop()))) };
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
