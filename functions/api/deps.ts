import type { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createAwsClients } from '../../shared/aws/clients.js';
import { type CommandQueue, createCommandQueue } from '../../shared/aws/command-queue.js';
import type { Config } from '../../shared/config.js';
import { ConfigurationError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { type ApiKeyStore, createApiKeyStore, hashApiKey } from '../../shared/stores/api-keys.js';
import { createIdempotencyStore, type IdempotencyStore } from '../../shared/stores/idempotency.js';
import { createMessageStore, type MessageStore } from '../../shared/stores/messages.js';
import { createRateLimiter, type RateLimiter } from '../../shared/stores/rate-limits.js';
import { createSessionStore, type SessionStore } from '../../shared/stores/sessions.js';
import { createTenantStore, type TenantStore } from '../../shared/stores/tenants.js';
import { buildWebhookApiDeps, type WebhookApiDeps } from './operations/webhooks.js';

/** Everything the API's routes use, passed in so tests can build it against the local servers. */
export interface ApiDeps {
  config: Config;
  log: Logger;
  tenants: TenantStore;
  apiKeys: ApiKeyStore;
  sessions: SessionStore;
  messages: MessageStore;
  idempotency: IdempotencyStore;
  rateLimiter: RateLimiter;
  commands: CommandQueue;
  /** The delivery log and the replay queue. */
  webhooks: WebhookApiDeps;
  /** Signs short-lived download links for received media. */
  s3: S3Client;
  /** SHA-256 of the admin key, when one is configured. */
  adminKeyHash?: string;
  now: () => Date;
  startedAt: number;
}

export async function buildApiDeps(config: Config, log: Logger): Promise<ApiDeps> {
  const clients = createAwsClients(config);
  const storeDeps = { dynamo: clients.dynamo, config };
  const adminKey = await resolveAdminKey(config);
  return {
    config,
    log,
    tenants: createTenantStore(storeDeps),
    apiKeys: createApiKeyStore(storeDeps),
    sessions: createSessionStore(storeDeps),
    messages: createMessageStore({ ...storeDeps, retentionDays: config.messageRetentionDays }),
    idempotency: createIdempotencyStore({ ...storeDeps, ttlHours: config.idempotencyTtlHours }),
    rateLimiter: createRateLimiter(storeDeps),
    commands: createCommandQueue({ sqs: clients.sqs, config }),
    webhooks: buildWebhookApiDeps(config, undefined, clients),
    s3: clients.s3,
    adminKeyHash: adminKey ? hashApiKey(adminKey) : undefined,
    now: () => new Date(),
    startedAt: Date.now(),
  };
}

/** The admin key comes from the environment locally and from Secrets Manager in AWS (once per cold start). */
async function resolveAdminKey(config: Config): Promise<string | undefined> {
  if (config.adminApiKey) return config.adminApiKey;
  if (!config.adminApiKeySecretArn) return undefined;
  const client = new SecretsManagerClient({ region: config.region });
  try {
    const { SecretString } = await client.send(
      new GetSecretValueCommand({ SecretId: config.adminApiKeySecretArn }),
    );
    if (!SecretString) throw new ConfigurationError('The admin key secret is empty');
    return SecretString.trim();
  } finally {
    client.destroy();
  }
}
