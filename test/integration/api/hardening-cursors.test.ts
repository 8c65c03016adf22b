import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/aws/clients.js';
import { createEventPublisher, type EventPublisher } from '../../../shared/aws/event-publisher.js';
import { type ApiClient, type ApiResponse, startTestApi, type TestApi } from '../../support/api-client.js';
import { uniqueTenantId } from '../../support/env.js';
import { isolatedResources } from '../../support/resources.js';

/** Every paginated route takes back only cursors it issued, for the same list and tenant. */

let api: TestApi;
let publisher: EventPublisher;
let alice: { tenantId: string; client: ApiClient };
let bob: { tenantId: string; client: ApiClient };

const raw = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const expectBadCursor = (res: ApiResponse) => {
  expect(res.status).toBe(400);
  expect(res.body.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'cursor' } });
};
const ids = (res: ApiResponse) => res.body.data.items.map((d: { eventId: string }) => d.eventId);

beforeAll(async () => {
  api = await startTestApi(await isolatedResources('api-cursors'));
  const clients = createAwsClients(api.config);
  publisher = createEventPublisher({ dynamo: clients.dynamo, sqs: clients.sqs, config: api.config });
  [alice, bob] = await Promise.all([api.createTenant(), api.createTenant()]);
  for (const tenant of [alice, bob]) {
    for (let epoch = 1; epoch <= 3; epoch++) {
      await publisher.publish(tenant.tenantId, 'session.status', { status: 'connected', epoch });
    }
  }
});
afterAll(() => api?.close());

describe('GET /webhooks/deliveries', () => {
  it('pages with the cursor it gave out', async () => {
    const first = await alice.client.get('/webhooks/deliveries?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.data.items).toHaveLength(2);
    const next = await alice.client.get(`/webhooks/deliveries?limit=2&cursor=${first.body.data.cursor}`);
    expect(next.status).toBe(200);
    expect(next.body.data.items).toHaveLength(1);
    expect(new Set([...ids(first), ...ids(next)]).size).toBe(3);
  });

  it('refuses another tenant’s cursor, with its own key and with the admin key', async () => {
    const page = await alice.client.get('/webhooks/deliveries?limit=1');
    const cursor = page.body.data.cursor as string;
    expectBadCursor(await bob.client.get(`/webhooks/deliveries?cursor=${cursor}`));
    expectBadCursor(await api.admin.get(`/webhooks/deliveries?companyId=${bob.tenantId}&cursor=${cursor}`));
  });

  it.each([
    ['not base64 JSON', '!!!'],
    ['a bare key with wrong-typed fields', raw({ tenantId: '{tenant}', eventId: { S: 'x' }, createdAt: 7 })],
    ['a bare key missing its sort keys', raw({ tenantId: '{tenant}' })],
    [
      'a scoped key with wrong-typed fields',
      raw({ s: 'webhook-deliveries:{tenant}', k: { tenantId: '{tenant}', eventId: 5, createdAt: 'x' } }),
    ],
    [
      'a scoped key with an attribute the index does not have',
      raw({
        s: 'webhook-deliveries:{tenant}',
        k: { tenantId: '{tenant}', eventId: 'evt_1', createdAt: new Date().toISOString(), status: 'x' },
      }),
    ],
  ])('refuses a forged cursor (%s) with 400, not 500', async (_, template) => {
    const cursor = template.includes('!') ? template : forge(template, alice.tenantId);
    expectBadCursor(await alice.client.get(`/webhooks/deliveries?cursor=${cursor}`));
  });
});

/** Puts the tenant id into a base64url JSON template. */
function forge(template: string, tenantId: string): string {
  const json = Buffer.from(template, 'base64url').toString('utf8').replaceAll('{tenant}', tenantId);
  return Buffer.from(json).toString('base64url');
}

describe('GET /tenants and GET /sessions (admin key)', () => {
  it('pages through more tenants than one page holds', async () => {
    const created = await Promise.all(
      Array.from({ length: 105 }, () =>
        api.deps.tenants.create({ tenantId: uniqueTenantId('page'), name: 'paged' }),
      ),
    );
    const seen = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await api.admin.get(`/tenants${cursor ? `?cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      for (const t of res.body.data.items as { tenantId: string }[]) seen.add(t.tenantId);
      cursor = res.body.data.cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBeGreaterThan(1);
    for (const t of created) expect(seen.has(t.tenantId)).toBe(true);
  });

  it.each([
    ['/tenants', 'a raw tenant id', () => alice.tenantId],
    [
      '/tenants',
      'a cursor of the sessions list',
      () => raw({ s: 'sessions', k: { tenantId: alice.tenantId } }),
    ],
    ['/tenants', 'a key that is no tenant id', () => raw({ s: 'tenants', k: { tenantId: 'x'.repeat(100) } })],
    ['/tenants', 'a wrong-typed key', () => raw({ s: 'tenants', k: { tenantId: 42 } })],
    ['/sessions', 'a raw tenant id', () => alice.tenantId],
    [
      '/sessions',
      'a cursor of the tenants list',
      () => raw({ s: 'tenants', k: { tenantId: alice.tenantId } }),
    ],
    [
      '/sessions',
      'a key with extra attributes',
      () => raw({ s: 'sessions', k: { tenantId: 'a', shard: 1 } }),
    ],
  ])('%s refuses %s', async (path, _, cursor) => {
    expectBadCursor(await api.admin.get(`${path}?cursor=${cursor()}`));
  });

  it('refuses a cursor longer than any it issues', async () => {
    const res = await api.admin.get(`/tenants?cursor=${'a'.repeat(3000)}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(res.body.error.details.issues[0].path).toBe('cursor');
  });
});

describe('POST /webhooks/replay by time range', () => {
  it('replays every event of the range, following its own cursors', async () => {
    const res = await bob.client.post('/webhooks/replay', {
      from: new Date(Date.now() - 3_600_000).toISOString(),
      to: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(res.status).toBe(202);
    expect(res.body.data.count).toBe(3);
  });
});
