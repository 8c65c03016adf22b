import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import {
  type DispatcherDeps,
  dispatchWebhook,
  sweepParked,
} from '../../../functions/webhook-dispatcher/dispatcher.js';
import { recordEndpointFailure } from '../../../functions/webhook-dispatcher/endpoint-health.js';
import { createMetrics } from '../../../shared/metrics.js';
import type { TenantStore } from '../../../shared/stores/tenants.js';
import { sessionStatus, startWebhookHarness, TEST_BREAKER, type WebhookHarness } from './harness.js';

// No polling loop: each test takes its events off the real queue and dispatches them with a test clock.
let h: WebhookHarness;

// The dispatcher's clock; it stays within the receiver's 5-minute signature tolerance.
let clockMs = Date.now();
const clock = () => new Date(clockMs);
beforeEach(() => {
  clockMs = Date.now();
});

beforeAll(async () => {
  h = await startWebhookHarness('wh-breaker', { loop: false });
});
afterAll(async () => {
  await h?.close();
});

const deps = (overrides: Partial<DispatcherDeps> = {}) =>
  h.dispatcherDeps({ now: clock, breaker: TEST_BREAKER, maxInFlightWaitMs: 60_000, ...overrides });

const take = (eventId: string) => h.take(eventId);
/** A tenant whose endpoint is a real receiver answering `status()`. */
const tenantAnswering = (status: () => number) => h.tenantWithReceiver(() => status());
type TestTenant = Awaited<ReturnType<typeof tenantAnswering>>;

async function publish(tenantId: string) {
  return h.publisher.publish(tenantId, 'session.status', sessionStatus());
}
async function publishAndDispatch(tenantId: string, d = deps()) {
  const event = await publish(tenantId);
  return { event, result: await dispatchWebhook(d, await take(event.id)) };
}
async function openBreaker(t: TestTenant) {
  for (let i = 0; i < TEST_BREAKER.failureThreshold; i++) {
    expect((await publishAndDispatch(t.tenantId)).result.outcome).toBe('retry-scheduled');
  }
}

const webhookOf = async (tenantId: string) => {
  const res = await h.api.admin.get(`/tenants/${tenantId}`);
  expect(res.status).toBe(200);
  return res.body.data.webhook;
};
const eventRow = (tenantId: string, eventId: string) => deps().events.find(tenantId, eventId);

/** The real tenant store, counting the health writes the dispatcher makes. */
function countingTenants() {
  const store = deps().tenants;
  const writes = { save: 0, clear: 0 };
  const tenants: TenantStore = {
    ...store,
    saveWebhookHealth: (...args) => {
      writes.save++;
      return store.saveWebhookHealth(...args);
    },
    clearWebhookHealth: (...args) => {
      writes.clear++;
      return store.clearWebhookHealth(...args);
    },
  };
  return { tenants, writes };
}

describe('circuit breaker', () => {
  it('opens after N failures; the next event is put off with no request and no attempt used', async () => {
    const t = await tenantAnswering(() => 500);
    const openedAt = clock().toISOString();
    await openBreaker(t);
    expect(t.receiver.received).toHaveLength(3);
    expect(await webhookOf(t.tenantId)).toMatchObject({
      enabled: true,
      health: {
        breaker: 'open',
        consecutiveFailures: 3,
        failingSince: openedAt,
        openUntil: new Date(clockMs + TEST_BREAKER.coolDownMs).toISOString(),
      },
    });

    const { event, result } = await publishAndDispatch(t.tenantId);
    expect(result).toEqual({ outcome: 'deferred', ack: false });
    expect(t.receiver.received).toHaveLength(3);
    expect(await eventRow(t.tenantId, event.id)).toMatchObject({
      status: 'pending',
      attempts: 0,
      deferrals: 1,
      nextAttemptAt: new Date(clockMs + TEST_BREAKER.coolDownMs).toISOString(),
    });
    // The deferred message stays on the queue, invisible until the cool-down ends.
    expect(await h.receiveVisible()).not.toContain(event.id);

    // Put off many times, an event whose schedule allows one attempt is never dead-lettered for it.
    const oneAttempt = deps({ schedule: { ...deps().schedule, delaysMs: [] } });
    const retried = await publish(t.tenantId);
    const message = await take(retried.id);
    for (let i = 0; i < 3; i++) expect((await dispatchWebhook(oneAttempt, message)).outcome).toBe('deferred');
    expect(await eventRow(t.tenantId, retried.id)).toMatchObject({
      status: 'pending',
      attempts: 0,
      deferrals: 3,
    });
    expect((await h.deadLetters()).map((m) => JSON.parse(m.body).id)).not.toContain(retried.id);
  });

  it('after the cool-down one attempt goes through; its success closes the breaker, later successes write nothing', async () => {
    let status = 500;
    const t = await tenantAnswering(() => status);
    await openBreaker(t);
    status = 204;
    clockMs += TEST_BREAKER.coolDownMs;

    // Two workers at the half-open moment: one probes, the other puts its event off.
    const { tenants, writes } = countingTenants();
    const d = deps({ tenants });
    const [a, b] = await Promise.all([publish(t.tenantId), publish(t.tenantId)]);
    const [ma, mb] = await Promise.all([take(a.id), take(b.id)]);
    const outcomes = await Promise.all([dispatchWebhook(d, ma), dispatchWebhook(d, mb)]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['deferred', 'delivered']);
    expect(t.receiver.received).toHaveLength(4);
    expect(await webhookOf(t.tenantId)).toMatchObject({
      enabled: true,
      health: { breaker: 'closed', consecutiveFailures: 0, failingSince: null, openUntil: null },
    });
    expect(writes.clear).toBe(1);

    const before = { ...writes };
    for (let i = 0; i < 3; i++)
      expect((await publishAndDispatch(t.tenantId, d)).result.outcome).toBe('delivered');
    expect(writes).toEqual(before);
  });

  it('a failure while half-open re-opens it with a doubled cool-down', async () => {
    const t = await tenantAnswering(() => 503);
    await openBreaker(t);
    clockMs += TEST_BREAKER.coolDownMs;
    const { event, result } = await publishAndDispatch(t.tenantId);
    expect(result.outcome).toBe('retry-scheduled');
    expect(await eventRow(t.tenantId, event.id)).toMatchObject({ attempts: 1, lastStatusCode: 503 });
    expect(await webhookOf(t.tenantId)).toMatchObject({
      health: {
        breaker: 'open',
        consecutiveFailures: 4,
        openUntil: new Date(clockMs + 2 * TEST_BREAKER.coolDownMs).toISOString(),
      },
    });
    expect((await publishAndDispatch(t.tenantId)).result.outcome).toBe('deferred');
    expect(t.receiver.received).toHaveLength(4);
  });

  it('counts every one of concurrent failures: conditional writes, none lost', async () => {
    const t = await tenantAnswering(() => 500);
    const { tenants, writes } = countingTenants();
    // A high threshold, so every one of them is attempted whatever order they read the tenant in.
    const d = deps({ tenants, breaker: { ...TEST_BREAKER, failureThreshold: 10 } });
    const events = await Promise.all(Array.from({ length: 6 }, () => publish(t.tenantId)));
    const messages = await Promise.all(events.map((e) => take(e.id)));
    const outcomes = await Promise.all(messages.map((m) => dispatchWebhook(d, m)));
    expect(outcomes.map((o) => o.outcome)).toEqual(Array(6).fill('retry-scheduled'));
    expect((await deps().tenants.get(t.tenantId)).webhook?.health).toMatchObject({
      version: 6,
      consecutiveFailures: 6,
    });
    expect(writes.save).toBeGreaterThanOrEqual(6); // a worker that lost the race re-read and wrote again
  });

  it('a failure decided on state read before a reset does not undo the reset', async () => {
    const t = await tenantAnswering(() => 500);
    await openBreaker(t);
    const stale = (await deps().tenants.get(t.tenantId)).webhook!;
    await deps().tenants.clearWebhookHealth(t.tenantId, stale.url); // a success on another worker

    const step = await recordEndpointFailure(deps(), t.tenantId, stale, deps().log);
    expect(step?.health).toMatchObject({ version: 1, consecutiveFailures: 1 });
    expect(step?.health.openUntil).toBeUndefined();

    // A failure of the old URL after a new one is set is not the new endpoint's.
    await h.api.admin.patch(`/tenants/${t.tenantId}`, { webhookUrl: `${t.receiver.url}/v2` });
    const old = { ...stale, health: step?.health };
    expect(await recordEndpointFailure(deps(), t.tenantId, old, deps().log)).toBeUndefined();
    expect((await webhookOf(t.tenantId)).health).toMatchObject({ breaker: 'closed', consecutiveFailures: 0 });
  });

  it('keeps a hanging endpoint from slowing another tenant: its events are put off at once', async () => {
    let requests = 0;
    const hanging = createServer(() => {
      requests++; // never answers
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    onTestFinished(
      () =>
        new Promise<void>((resolve) => {
          hanging.closeAllConnections();
          hanging.close(() => resolve());
        }),
    );
    const dead = await h.api.createTenant({
      webhookUrl: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/hook`,
    });
    const healthy = await tenantAnswering(() => 204);
    const d = deps({ timeoutMs: 300 });

    const failing: number[] = [];
    for (let i = 0; i < TEST_BREAKER.failureThreshold; i++) {
      const started = performance.now();
      const { result } = await publishAndDispatch(dead.tenantId, d);
      failing.push(performance.now() - started);
      expect(result.outcome).toBe('retry-scheduled'); // a timeout waits 60 s: on the queue, not parked
    }
    expect(requests).toBe(3);

    const [deadEvent, liveEvent] = await Promise.all([publish(dead.tenantId), publish(healthy.tenantId)]);
    const [deadMessage, liveMessage] = await Promise.all([take(deadEvent.id), take(liveEvent.id)]);
    const started = performance.now();
    const [put, live] = await Promise.all([
      dispatchWebhook(d, deadMessage).then((r) => ({ r, ms: performance.now() - started })),
      dispatchWebhook(d, liveMessage),
    ]);
    expect(put.r.outcome).toBe('deferred');
    expect(live.outcome).toBe('delivered');
    expect(requests).toBe(3);
    expect(put.ms).toBeLessThan(300);
    console.info(
      `hanging endpoint: attempts took ${failing.map((ms) => Math.round(ms)).join(', ')} ms; with the breaker open an event is put off in ${Math.round(put.ms)} ms`,
    );
  });
});

describe('an endpoint failing too long', () => {
  it('is disabled and the tenant told; later events are stored; a new URL re-enables it and clears the state', async () => {
    let status = 500;
    const t = await tenantAnswering(() => status);
    const failingSince = clock().toISOString();
    await openBreaker(t);

    const lines: string[] = [];
    const metrics = createMetrics({ service: 'test', host: 'test', write: (line) => lines.push(line) });
    onTestFinished(() => metrics.stop());
    clockMs += TEST_BREAKER.disableAfterFailingMs + 1000;
    const { event, result } = await publishAndDispatch(t.tenantId, deps({ metrics }));
    expect(result.outcome).toBe('endpoint-disabled');
    expect(await eventRow(t.tenantId, event.id)).toMatchObject({ status: 'stored', attempts: 1 });
    metrics.flush();
    expect(lines.map((l) => JSON.parse(l).WebhookEndpointsDisabled)).toContain(1);

    const webhook = await webhookOf(t.tenantId);
    expect(webhook).toMatchObject({
      url: t.receiver.url,
      enabled: false,
      health: { consecutiveFailures: 4, failingSince },
    });
    expect(webhook.disabledReason).toMatch(
      new RegExp(`failed since ${failingSince}.*set the webhook URL again`),
    );

    const { event: later, result: laterResult } = await publishAndDispatch(t.tenantId);
    expect(laterResult.outcome).toBe('stored');
    expect(await eventRow(t.tenantId, later.id)).toMatchObject({ status: 'stored', attempts: 0 });
    expect(t.receiver.received).toHaveLength(4);

    status = 204;
    const patched = await h.api.admin.patch(`/tenants/${t.tenantId}`, { webhookUrl: t.receiver.url });
    expect(patched.status).toBe(200);
    expect(patched.body.data.webhook).toEqual({
      url: t.receiver.url,
      enabled: true,
      health: {
        breaker: 'closed',
        consecutiveFailures: 0,
        failingSince: null,
        lastFailureAt: null,
        openUntil: null,
      },
    });
    expect((await publishAndDispatch(t.tenantId)).result.outcome).toBe('delivered');
  });

  it('parks events put off during a long outage, and delivers them after the sweep once the endpoint is back', async () => {
    let status = 500;
    const t = await tenantAnswering(() => status);
    await openBreaker(t);
    // Failing for 20 s and still open: a put-off event waits at least as long as the outage so far,
    // longer than the 10 s allowed in flight, so it is parked instead of held on the queue.
    clockMs += 20_000;
    const { event, result } = await publishAndDispatch(t.tenantId, deps({ maxInFlightWaitMs: 10_000 }));
    expect(result).toEqual({ outcome: 'deferred', ack: true });
    const parked = await eventRow(t.tenantId, event.id);
    expect(parked).toMatchObject({
      parked: 'due',
      attempts: 0,
      dueAt: new Date(clockMs + 20_000).toISOString(),
    });

    status = 204;
    clockMs += TEST_BREAKER.coolDownMs; // the next event probes: the endpoint answers again
    expect((await publishAndDispatch(t.tenantId)).result.outcome).toBe('delivered');
    clockMs += 60_000;
    expect(await sweepParked(deps())).toBeGreaterThanOrEqual(1);
    expect((await dispatchWebhook(deps(), await take(event.id))).outcome).toBe('delivered');
    expect(await eventRow(t.tenantId, event.id)).toMatchObject({ status: 'delivered', attempts: 1 });
  });
});
