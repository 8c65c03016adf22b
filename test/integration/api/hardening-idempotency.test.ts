import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/aws/clients.js';
import { tableName } from '../../../shared/stores/table-names.js';
import { type ApiClient, startTestApi, type TestApi } from '../../support/api-client.js';

let api: TestApi;
let tenant: { tenantId: string; client: ApiClient };

beforeAll(async () => {
  api = await startTestApi();
  tenant = await api.createTenant();
});
afterAll(() => api?.close());

const body = { phone: '79001234567', message: 'once' };

const requestHashOf = async (key: string) => {
  const { dynamo } = createAwsClients(api.config);
  const { Item } = await dynamo.send(
    new GetCommand({
      TableName: tableName(api.config, 'idempotency'),
      Key: { tenantId: tenant.tenantId, idempotencyKey: key },
      ConsistentRead: true,
    }),
  );
  return Item?.requestHash as string;
};

describe('an Idempotency-Key whose first request is still running', () => {
  it('answers 409 IDEMPOTENCY_IN_PROGRESS, retryable, with Retry-After', async () => {
    // The same request under a finished key gives its hash; a held claim is a first request in flight.
    const done = `done-${Date.now()}`;
    expect((await tenant.client.post('/send', body, { 'idempotency-key': done })).status).toBe(202);
    const held = `held-${Date.now()}`;
    const claim = await api.deps.idempotency.claim(tenant.tenantId, held, await requestHashOf(done));
    expect(claim.claimed).toBe(true);

    const res = await tenant.client.post('/send', body, { 'idempotency-key': held });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: 'IDEMPOTENCY_IN_PROGRESS',
      isRetryable: true,
      retryAfter: 1,
      details: { idempotencyKey: held },
    });
    expect(res.headers.get('retry-after')).toBe('1');
  });

  it('gives concurrent duplicates either the one answer or IDEMPOTENCY_IN_PROGRESS, never another code', async () => {
    const key = `race-${Date.now()}`;
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => tenant.client.post('/send', body, { 'idempotency-key': key })),
    );
    const accepted = responses.filter((r) => r.status === 202);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(new Set(accepted.map((r) => r.body.data.messageId)).size).toBe(1);
    for (const r of responses.filter((r) => r.status !== 202)) {
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('IDEMPOTENCY_IN_PROGRESS');
    }
  });
});
