import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { sweepParked } from '../../../functions/webhook-dispatcher/dispatcher.js';
import { startWebhookReceiver, verifies } from '../../../local/webhook-receiver.js';
import { eventually } from '../../support/env.js';
import { sessionStatus, startWebhookHarness, type WebhookHarness } from './harness.js';

let h: WebhookHarness;

beforeAll(async () => {
  h = await startWebhookHarness('wh-delivery', { loop: true });
});
afterAll(async () => {
  await h?.close();
});

const tenantWithReceiver: WebhookHarness['tenantWithReceiver'] = (respond) => h.tenantWithReceiver(respond);

const delivery = async (client: Awaited<ReturnType<typeof tenantWithReceiver>>['client'], eventId: string) =>
  (await client.get(`/webhooks/deliveries/${eventId}`)).body.data;

const whenStatus = (
  client: Awaited<ReturnType<typeof tenantWithReceiver>>['client'],
  eventId: string,
  status: string,
) =>
  eventually(
    async () => {
      const d = await delivery(client, eventId);
      return d?.status === status ? d : undefined;
    },
    { message: `event ${eventId} ${status}` },
  );

describe('webhook delivery', () => {
  it('delivers every event type, each with a valid signature and webhook-id = event id', async () => {
    const t = await tenantWithReceiver();
    const published = [
      await h.publisher.publish(t.tenantId, 'session.status', sessionStatus()),
      await h.publisher.publish(t.tenantId, 'session.qr', {
        qr: '2@abc',
        attempt: 1,
        expiresAt: new Date().toISOString(),
        epoch: 1,
      }),
      await h.publisher.publish(t.tenantId, 'message.status', { messageId: '3EB0AB', status: 'sent' }),
      await h.publisher.publish(t.tenantId, 'message.received', {
        messageId: 'ABC',
        chatJid: '79001234567@s.whatsapp.net',
        timestamp: new Date().toISOString(),
        kind: 'text',
        text: 'hi',
      }),
    ];
    const received = await t.receiver.waitFor(published.length);
    expect(t.receiver.rejected).toBe(0);
    expect(received.map((r) => r.headers.id).sort()).toEqual(published.map((e) => e.id).sort());
    for (const r of received) {
      expect(verifies([t.webhookSecret], r.body, r.headers)).toBe(true);
      expect(r.event.id).toBe(r.headers.id);
      expect(r.event.tenantId).toBe(t.tenantId);
    }
    for (const e of published) await whenStatus(t.client, e.id, 'delivered');

    const list = await t.client.get('/webhooks/deliveries?status=delivered');
    expect(list.status).toBe(200);
    expect(list.body.data.items).toHaveLength(published.length);
    const onlyQr = await t.client.get('/webhooks/deliveries?eventType=session.qr');
    expect(onlyQr.body.data.items.map((d: { eventId: string }) => d.eventId)).toEqual([published[1]?.id]);
  });

  it('answers 500 twice then 200: delivered once, three attempts logged', async () => {
    let calls = 0;
    const t = await tenantWithReceiver(() => (++calls <= 2 ? 500 : 200));
    const event = await h.publisher.publish(t.tenantId, 'session.status', sessionStatus());
    const d = await whenStatus(t.client, event.id, 'delivered');
    expect(d.attempts).toBe(3);
    expect(
      d.attemptLog.map((a: { attempt: number; statusCode: number }) => [a.attempt, a.statusCode]),
    ).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);
    expect(d.attemptLog.every((a: { latencyMs: number }) => a.latencyMs >= 0)).toBe(true);
    expect(t.receiver.received.map((r) => r.headers.id)).toEqual([event.id, event.id, event.id]);
  });

  it('dead-letters after the whole schedule, marks the event failed, and a replay delivers it', async () => {
    let up = false;
    const t = await tenantWithReceiver(() => (up ? 204 : 503));
    const event = await h.publisher.publish(t.tenantId, 'session.status', sessionStatus());

    // Attempts 1–3 fail; the one-hour wait before attempt 4 is parked, not held in SQS. `attempts`
    // reaches 3 when attempt 3 is claimed, before its log entry and the park are written: wait for those.
    const parkedFor = (d: { nextAttemptAt?: string }) =>
      d.nextAttemptAt ? Date.parse(d.nextAttemptAt) - Date.now() : 0;
    const parked = await eventually(
      async () => {
        const d = await delivery(t.client, event.id);
        return d?.attempts === 3 && d.attemptLog.length === 3 && parkedFor(d) > 50 * 60_000 ? d : undefined;
      },
      { message: `event ${event.id} parked after 3 attempts` },
    );
    expect(parked).toMatchObject({ status: 'retrying', lastStatusCode: 503 });
    expect(parked.attemptLog.map((a: { statusCode: number }) => a.statusCode)).toEqual([503, 503, 503]);

    // A sweep with the clock two hours on re-queues it; attempt 4 is the last.
    const later = h.dispatcherDeps({ now: () => new Date(Date.now() + 2 * 3_600_000) });
    expect(await sweepParked(later)).toBeGreaterThanOrEqual(1);
    const failed = await whenStatus(t.client, event.id, 'failed');
    expect(failed).toMatchObject({ attempts: 4, failureReason: 'retries_exhausted', lastStatusCode: 503 });
    const dead = await eventually(async () => {
      const bodies = (await h.deadLetters()).map((m) => JSON.parse(m.body).id);
      return bodies.includes(event.id) ? bodies : undefined;
    });
    expect(dead).toContain(event.id);

    up = true;
    const replay = await t.client.post('/webhooks/replay', { eventIds: [event.id] });
    expect(replay.status).toBe(202);
    expect(replay.body.data).toMatchObject({ count: 1, eventIds: [event.id] });
    const delivered = await whenStatus(t.client, event.id, 'delivered');
    expect(delivered.attempts).toBe(1);
    expect(t.receiver.received.at(-1)?.headers.id).toBe(event.id);
  });

  it('disables the endpoint on 410 Gone and keeps later events for replay', async () => {
    const t = await tenantWithReceiver(() => 410);
    const event = await h.publisher.publish(t.tenantId, 'session.status', sessionStatus());
    const d = await whenStatus(t.client, event.id, 'failed');
    expect(d).toMatchObject({ attempts: 1, failureReason: 'endpoint_gone', lastStatusCode: 410 });
    const tenant = await h.api.admin.get(`/tenants/${t.tenantId}`);
    expect(tenant.body.data.webhook).toMatchObject({ url: t.receiver.url, enabled: false });

    const next = await h.publisher.publish(t.tenantId, 'session.status', sessionStatus(2));
    await whenStatus(t.client, next.id, 'stored');
    expect(t.receiver.received).toHaveLength(1);
  });

  it('signs with both secrets during a rotation: receivers holding either verify', async () => {
    const t = await tenantWithReceiver();
    const rotated = await h.api.admin.post(`/tenants/${t.tenantId}/webhook-secret/rotate`);
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.data.webhookSecret as string;

    t.receiver.secrets.splice(0, Infinity, t.webhookSecret); // old secret only
    const first = await h.publisher.publish(t.tenantId, 'session.status', sessionStatus());
    await whenStatus(t.client, first.id, 'delivered');

    t.receiver.secrets.splice(0, Infinity, fresh); // new secret only
    const second = await h.publisher.publish(t.tenantId, 'session.status', sessionStatus(2));
    await whenStatus(t.client, second.id, 'delivered');

    expect(t.receiver.rejected).toBe(0);
    for (const r of t.receiver.received) {
      expect(r.headers.signature.split(' ')).toHaveLength(2);
      expect(verifies([t.webhookSecret], r.body, r.headers)).toBe(true);
      expect(verifies([fresh], r.body, r.headers)).toBe(true);
    }
  });

  it('keeps events of a tenant without an endpoint (stored) and delivers them on replay once one is set', async () => {
    const t = await h.api.createTenant();
    const from = new Date(Date.now() - 1000).toISOString();
    const events = [
      await h.publisher.publish(t.tenantId, 'session.status', sessionStatus()),
      await h.publisher.publish(t.tenantId, 'session.status', sessionStatus(2)),
    ];
    for (const e of events) await whenStatus(t.client, e.id, 'stored');

    const receiver = await startWebhookReceiver({ secrets: [t.webhookSecret] });
    onTestFinished(() => receiver.close());
    const patched = await h.api.admin.patch(`/tenants/${t.tenantId}`, { webhookUrl: receiver.url });
    expect(patched.status).toBe(200);
    const replay = await t.client.post('/webhooks/replay', {
      from,
      to: new Date(Date.now() + 1000).toISOString(),
    });
    expect(replay.status).toBe(202);
    expect(replay.body.data.count).toBe(2);
    const received = await receiver.waitFor(2);
    expect(received.map((r) => r.headers.id).sort()).toEqual(events.map((e) => e.id).sort());
    for (const e of events) await whenStatus(t.client, e.id, 'delivered');
  });
  it('replays an event whose text SQS cannot carry as it stands (emoji, U+FFFF) exactly', async () => {
    const t = await tenantWithReceiver();
    const reason = 'closed 👋 𝒳 \uFFFF';
    const event = await h.publisher.publish(t.tenantId, 'session.status', { ...sessionStatus(), reason });
    await whenStatus(t.client, event.id, 'delivered');
    const replay = await t.client.post('/webhooks/replay', { eventIds: [event.id] });
    expect(replay.status).toBe(202);
    const received = await t.receiver.waitFor(2);
    expect(received.map((r) => r.event.id)).toEqual([event.id, event.id]);
    expect(received.map((r) => (r.event.data as { reason?: string }).reason)).toEqual([reason, reason]);
  });
});

describe('tenant scoping', () => {
  it('never shows or replays another tenant’s deliveries', async () => {
    const a = await h.api.createTenant();
    const b = await h.api.createTenant();
    const event = await h.publisher.publish(b.tenantId, 'session.status', sessionStatus());
    await whenStatus(b.client, event.id, 'stored');

    const list = await a.client.get('/webhooks/deliveries');
    expect(list.status).toBe(200);
    expect(list.body.data.items).toEqual([]);
    expect((await a.client.get(`/webhooks/deliveries/${event.id}`)).status).toBe(404);
    expect((await a.client.get(`/webhooks/deliveries?companyId=${b.tenantId}`)).status).toBe(404);
    expect((await a.client.post('/webhooks/replay', { eventIds: [event.id] })).status).toBe(404);
    expect(
      (await a.client.post('/webhooks/replay', { companyId: b.tenantId, eventIds: [event.id] })).status,
    ).toBe(404);
    const range = await a.client.post('/webhooks/replay', {
      from: new Date(Date.now() - 60_000).toISOString(),
      to: new Date(Date.now() + 1000).toISOString(),
    });
    expect(range.body.data.count).toBe(0);

    // B's own key sees it; B's cursor is no key into A's list.
    const own = await b.client.get('/webhooks/deliveries?limit=1');
    expect(own.body.data.items.map((d: { eventId: string }) => d.eventId)).toEqual([event.id]);
    const forged = Buffer.from(
      JSON.stringify({ tenantId: b.tenantId, eventId: event.id, createdAt: 'x' }),
    ).toString('base64url');
    expect((await a.client.get(`/webhooks/deliveries?cursor=${forged}`)).status).toBe(400);
    // The admin key names the tenant.
    const admin = await h.api.admin.get(`/webhooks/deliveries?companyId=${b.tenantId}`);
    expect(admin.body.data.items).toHaveLength(1);
  });

  it('refuses a replay without ids or a complete time range', async () => {
    const a = await h.api.createTenant();
    expect((await a.client.post('/webhooks/replay', {})).status).toBe(400);
    expect((await a.client.post('/webhooks/replay', { from: new Date().toISOString() })).status).toBe(400);
  });
});
