import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DispatcherDeps, dispatchWebhook } from '../../../functions/webhook-dispatcher/dispatcher.js';
import type { ApiClient } from '../../support/api-client.js';
import { sessionStatus, startWebhookHarness, TEST_BREAKER, type WebhookHarness } from './harness.js';

// GET /webhooks/endpoint: the tenant's own view of the state the dispatcher keeps on its endpoint.
// No polling loop: each test takes its events off the real queue and dispatches them with a test clock.
let h: WebhookHarness;

// The dispatcher's clock; it stays within the receiver's 5-minute signature tolerance.
let clockMs = Date.now();
const clock = () => new Date(clockMs);
beforeEach(() => {
  clockMs = Date.now();
});

beforeAll(async () => {
  h = await startWebhookHarness('wh-endpoint', { loop: false });
});
afterAll(async () => {
  await h?.close();
});

const deps = (overrides: Partial<DispatcherDeps> = {}) =>
  h.dispatcherDeps({ now: clock, breaker: TEST_BREAKER, ...overrides });

const take = (eventId: string) => h.take(eventId);
/** A tenant whose endpoint is a real receiver answering `status()`. */
const tenantAnswering = (status: () => number) => h.tenantWithReceiver(() => status());

async function failOnce(tenantId: string, d = deps()) {
  const event = await h.publisher.publish(tenantId, 'session.status', sessionStatus());
  return dispatchWebhook(d, await take(event.id));
}

/** The endpoint as `client` sees it; no answer may carry a webhook secret. */
async function endpointSeenBy(client: ApiClient, query = '') {
  const res = await client.get(`/webhooks/endpoint${query}`);
  expect(res.status).toBe(200);
  expect(JSON.stringify(res.body)).not.toContain('whsec_');
  return res.body.data.webhook;
}

const closed = {
  breaker: 'closed',
  consecutiveFailures: 0,
  failingSince: null,
  lastFailureAt: null,
  openUntil: null,
};

describe('GET /webhooks/endpoint', () => {
  it('shows a healthy endpoint as enabled with its breaker closed', async () => {
    const t = await tenantAnswering(() => 204);
    expect(await endpointSeenBy(t.client)).toEqual({ url: t.receiver.url, enabled: true, health: closed });

    expect((await failOnce(t.tenantId)).outcome).toBe('delivered');
    expect(await endpointSeenBy(t.client)).toEqual({ url: t.receiver.url, enabled: true, health: closed });
  });

  it('shows the breaker open with the failure count once the dispatcher has opened it', async () => {
    const t = await tenantAnswering(() => 500);
    const failingSince = clock().toISOString();
    for (let i = 0; i < TEST_BREAKER.failureThreshold; i++) {
      expect((await failOnce(t.tenantId)).outcome).toBe('retry-scheduled');
    }
    expect(await endpointSeenBy(t.client)).toEqual({
      url: t.receiver.url,
      enabled: true,
      health: {
        breaker: 'open',
        consecutiveFailures: 3,
        failingSince,
        lastFailureAt: clock().toISOString(),
        openUntil: new Date(clockMs + TEST_BREAKER.coolDownMs).toISOString(),
      },
    });
  });

  it('shows an endpoint disabled for failing too long as not enabled, with the reason', async () => {
    const t = await tenantAnswering(() => 500);
    const failingSince = clock().toISOString();
    for (let i = 0; i < TEST_BREAKER.failureThreshold; i++) await failOnce(t.tenantId);
    clockMs += TEST_BREAKER.disableAfterFailingMs + 1000;
    expect((await failOnce(t.tenantId)).outcome).toBe('endpoint-disabled');

    const webhook = await endpointSeenBy(t.client);
    expect(webhook).toMatchObject({
      url: t.receiver.url,
      enabled: false,
      health: { consecutiveFailures: 4, failingSince },
    });
    expect(webhook.disabledReason).toMatch(
      new RegExp(`failed since ${failingSince}.*set the webhook URL again`),
    );
  });

  it('answers webhook: null for a tenant without a webhook URL', async () => {
    const t = await h.api.createTenant();
    expect(await endpointSeenBy(t.client)).toBeNull();
  });
});

describe('GET /webhooks/endpoint scoping', () => {
  it('shows each tenant only its own endpoint; naming another answers 404', async () => {
    const failing = await tenantAnswering(() => 500);
    for (let i = 0; i < TEST_BREAKER.failureThreshold; i++) await failOnce(failing.tenantId);
    const healthy = await tenantAnswering(() => 204);

    expect(await endpointSeenBy(healthy.client)).toEqual({
      url: healthy.receiver.url,
      enabled: true,
      health: closed,
    });
    expect(await endpointSeenBy(failing.client)).toMatchObject({
      url: failing.receiver.url,
      health: { breaker: 'open' },
    });
    const probe = await healthy.client.get(`/webhooks/endpoint?companyId=${failing.tenantId}`);
    expect(probe.status).toBe(404);
    expect(probe.body.error.code).toBe('NOT_FOUND');
    expect(JSON.stringify(probe.body)).not.toContain(failing.receiver.url);
    // Its own id is allowed, and is the same as none.
    expect(await endpointSeenBy(healthy.client, `?companyId=${healthy.tenantId}`)).toMatchObject({
      url: healthy.receiver.url,
    });
  });

  it('never shows a secret, not even during a rotation when two secrets sign', async () => {
    const t = await tenantAnswering(() => 204);
    const rotated = await h.api.admin.post(`/tenants/${t.tenantId}/webhook-secret/rotate`);
    expect(rotated.status).toBe(200);
    const res = await t.client.get('/webhooks/endpoint');
    const body = JSON.stringify(res.body);
    for (const secret of [t.webhookSecret, rotated.body.data.webhookSecret]) {
      expect(body).not.toContain(secret);
    }
    expect(Object.keys(res.body.data.webhook).sort()).toEqual(['enabled', 'health', 'url']);
  });

  it('needs a key; the admin key names the tenant', async () => {
    const t = await tenantAnswering(() => 204);
    expect((await h.api.anonymous.get('/webhooks/endpoint')).status).toBe(401);
    expect((await h.api.admin.get('/webhooks/endpoint')).status).toBe(400);
    expect((await h.api.admin.get('/webhooks/endpoint?companyId=nobody-here')).status).toBe(404);
    expect(await endpointSeenBy(h.api.admin, `?companyId=${t.tenantId}`)).toMatchObject({
      url: t.receiver.url,
      enabled: true,
    });
  });
});
