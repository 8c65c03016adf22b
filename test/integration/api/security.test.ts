import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, type ApiResponse, startTestApi, type TestApi } from '../../support/api-client.js';

let api: TestApi;
let alice: { tenantId: string; client: ApiClient };
let bob: { tenantId: string; client: ApiClient };

beforeAll(async () => {
  api = await startTestApi();
  [alice, bob] = await Promise.all([api.createTenant(), api.createTenant()]);
});
afterAll(() => api?.close());

describe('authentication', () => {
  it.each([
    ['no Authorization header', undefined],
    ['an unknown key', 'wfk_not_a_real_key'],
    ['a malformed header', 'Basic abc'],
  ])('answers 401 for %s', async (_, key) => {
    const client = api.anonymous.withKey(undefined);
    const headers = key ? { authorization: key.startsWith('Basic') ? key : `Bearer ${key}` } : undefined;
    const res = await client.request('POST', '/send', {
      body: { phone: '79001234567', message: 'hi' },
      headers,
    });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('AUTHENTICATION_ERROR');
  });

  it('keeps tenant administration for the admin key (403 for a tenant key)', async () => {
    const res = await alice.client.post('/tenants', { tenantId: 'sneaky', name: 'x' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
  });

  it('refuses a disabled tenant with 403', async () => {
    const carol = await api.createTenant();
    await api.admin.patch(`/tenants/${carol.tenantId}`, { status: 'disabled' });
    const res = await carol.client.get(`/sessions/${carol.tenantId}/status`);
    expect(res.status).toBe(403);
  });
});

describe('tenant isolation: another tenant’s resources answer 404', () => {
  it.each([
    ['GET', (id: string) => `/sessions/${id}/status`],
    ['GET', (id: string) => `/sessions/${id}/qr`],
    ['GET', (id: string) => `/sessions/${id}/metrics`],
    ['POST', (id: string) => `/sessions/${id}/initialize`],
    ['POST', (id: string) => `/sessions/${id}/disconnect`],
    ['DELETE', (id: string) => `/sessions/${id}`],
  ])('%s %s', async (method, path) => {
    const res = await alice.client.request(method, path(bob.tenantId));
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    expect(JSON.stringify(res.body)).not.toContain('"status":"stopped"');
  });

  it('does not send on behalf of another tenant', async () => {
    const res = await alice.client.post('/send', {
      phone: '79001234567',
      message: 'hi',
      companyId: bob.tenantId,
    });
    expect(res.status).toBe(404);
  });

  it('does not show another tenant’s message', async () => {
    const sent = await bob.client.post('/send', { phone: '79001234567', message: 'private' });
    const res = await alice.client.get(`/messages/${sent.body.data.messageId}`);
    expect(res.status).toBe(404);
    expect(JSON.stringify(res.body)).not.toContain('private');
  });

  it('lists only the caller’s own session', async () => {
    await bob.client.post(`/sessions/${bob.tenantId}/initialize`);
    const res = await alice.client.get('/sessions');
    expect(Object.keys(res.body.data)).toEqual([alice.tenantId]);
  });

  it('lets the admin key act for any tenant, naming it', async () => {
    const res = await api.admin.post('/send', {
      phone: '79001234567',
      message: 'hi',
      companyId: bob.tenantId,
    });
    expect(res.status).toBe(202);
    const missing = await api.admin.post('/send', { phone: '79001234567', message: 'hi' });
    expect(missing.status).toBe(400);
  });
});

describe('rate limits', () => {
  it('answers 429 RATE_LIMIT with Retry-After once a tenant passes its limit, without touching others', async () => {
    const dave = await api.createTenant({ rateLimit: { maxRequests: 3, windowMs: 60_000 } });
    const statuses: number[] = [];
    let limited: ApiResponse | undefined;
    for (let i = 0; i < 4; i++) {
      const res = await dave.client.get(`/sessions/${dave.tenantId}/status`);
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(limited?.body.error).toMatchObject({ code: 'RATE_LIMIT', isRetryable: true });
    expect(limited?.body.error.retryAfter).toBeGreaterThan(0);
    expect(Number(limited?.headers.get('retry-after'))).toBe(limited?.body.error.retryAfter);
    expect((await alice.client.get(`/sessions/${alice.tenantId}/status`)).status).toBe(200);
  });
});

describe('secrets', () => {
  it('stores API keys only as hashes', async () => {
    const erin = await api.createTenant();
    const { ScanCommand } = await import('@aws-sdk/lib-dynamodb');
    const { createAwsClients } = await import('../../../shared/aws/clients.js');
    const { dynamo } = createAwsClients(api.config);
    const { Items = [] } = await dynamo.send(
      new ScanCommand({ TableName: `${api.config.resourcePrefix}-api-keys` }),
    );
    expect(JSON.stringify(Items)).not.toContain(erin.apiKey);
    expect(Items.some((i) => i.tenantId === erin.tenantId)).toBe(true);
  });
});
