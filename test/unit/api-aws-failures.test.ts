import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app.js';
import type { ApiDeps } from '../../functions/api/deps.js';
import { buildWebhookApiDeps } from '../../functions/api/operations/webhooks.js';
import { createAwsClients } from '../../shared/aws/clients.js';
import { createCommandQueue } from '../../shared/aws/command-queue.js';
import { loadConfig } from '../../shared/config.js';
import { createLogger } from '../../shared/logger.js';
import { createApiKeyStore, hashApiKey } from '../../shared/stores/api-keys.js';
import { createIdempotencyStore } from '../../shared/stores/idempotency.js';
import { createMessageStore } from '../../shared/stores/messages.js';
import { createRateLimiter } from '../../shared/stores/rate-limits.js';
import { createSessionStore } from '../../shared/stores/sessions.js';
import { createTenantStore } from '../../shared/stores/tenants.js';

// Throttling and timeouts cannot be produced on demand by DynamoDB Local or fauxqs, so these
// error paths use aws-sdk-client-mock; every success path is tested against the real servers.
const config = loadConfig({ ADMIN_API_KEY: 'wfk_admin_unit', AWS_REGION: 'us-east-1' });
const { dynamo, sqs, s3 } = createAwsClients(config);
const ddbMock = mockClient(DynamoDBDocumentClient);
const sqsMock = mockClient(SQSClient);
afterEach(() => {
  ddbMock.reset();
  sqsMock.reset();
});

function app() {
  const storeDeps = { dynamo, config };
  const deps: ApiDeps = {
    config,
    log: createLogger({ service: 'unit', level: 'silent' }),
    tenants: createTenantStore(storeDeps),
    apiKeys: createApiKeyStore(storeDeps),
    sessions: createSessionStore(storeDeps),
    messages: createMessageStore({ ...storeDeps, retentionDays: 1 }),
    idempotency: createIdempotencyStore({ ...storeDeps, ttlHours: 1 }),
    rateLimiter: createRateLimiter(storeDeps),
    commands: createCommandQueue({ sqs, config }),
    webhooks: buildWebhookApiDeps(config, undefined, { dynamo, sqs }),
    s3,
    adminKeyHash: hashApiKey('wfk_admin_unit'),
    now: () => new Date(),
    startedAt: Date.now(),
  };
  return createApp(deps);
}

// A string body given to `app.request` carries no Content-Length; real HTTP clients always send
// one (or chunked encoding), and the body middleware relies on it.
const request = (path: string, body?: unknown) => {
  const json = body === undefined ? undefined : JSON.stringify(body);
  return app().request(`/api/whatsapp${path}`, {
    method: json ? 'POST' : 'GET',
    headers: {
      authorization: 'Bearer wfk_admin_unit',
      ...(json
        ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(json)) }
        : {}),
    },
    body: json,
  });
};

describe('AWS failures become retryable envelopes', () => {
  it('DynamoDB throttling → 503 DATABASE_ERROR with Retry-After', async () => {
    ddbMock
      .on(GetCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const res = await request('/sessions/acme/status');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toMatchObject({
      success: false,
      error: { code: 'DATABASE_ERROR', isRetryable: true },
    });
  });

  it('an SQS timeout while queueing a send → 504 TIMEOUT_ERROR, and the message is marked failed, not left queued', async () => {
    ddbMock.resolves({});
    // The admin key acts on an existing tenant (an unknown one is a 404 before anything is queued).
    ddbMock.on(GetCommand).resolves({ Item: { tenantId: 'acme', status: 'active', webhookSecrets: [] } });
    sqsMock.resolves({ QueueUrl: 'http://queue' });
    sqsMock
      .on(SendMessageCommand)
      .rejects(Object.assign(new Error('socket timeout'), { name: 'TimeoutError' }));
    const res = await request('/send', { phone: '79001234567', message: 'hi', companyId: 'acme' });
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ error: { code: 'TIMEOUT_ERROR', isRetryable: true } });
    const updates = ddbMock.calls().filter((c) => c.args[0].constructor.name === 'UpdateCommand');
    expect(JSON.stringify(updates.map((u) => u.args[0].input))).toContain('failed');
  });
});
