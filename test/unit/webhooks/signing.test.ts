import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliver, signatureHeaders } from '../../../functions/webhook-dispatcher/deliver.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../../local/webhook-receiver.js';
import { newWebhookSecret } from '../../../shared/stores/tenants.js';

const local = { requireHttps: false, allowPrivate: true };
const event = (id: string) =>
  JSON.stringify({
    id,
    type: 'session.status',
    timestamp: new Date().toISOString(),
    tenantId: 't1',
    data: { status: 'connected', epoch: 1 },
  });

describe('Standard Webhooks signing against a real receiver', () => {
  const secret = newWebhookSecret();
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver({ secrets: [secret] });
  });
  afterAll(() => receiver.close());

  const post = (body: string, headers: Record<string, string>) =>
    fetch(receiver.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });

  it('delivers with headers the receiver verifies: webhook-id is the event id', async () => {
    const body = event('evt_signed');
    const result = await deliver({
      url: receiver.url,
      eventId: 'evt_signed',
      body,
      secrets: [secret],
      timeoutMs: 2000,
      policy: local,
      now: () => new Date(),
    });
    expect(result).toMatchObject({ delivered: true, statusCode: 204 });
    const last = receiver.received.at(-1);
    expect(last?.headers.id).toBe('evt_signed');
    expect(last?.headers.signature).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    expect(last?.body).toBe(body);
  });

  it('refuses a tampered body', async () => {
    const body = event('evt_tampered');
    const headers = signatureHeaders('evt_tampered', body, [secret], new Date());
    const before = receiver.rejected;
    const res = await post(body.replace('connected', 'logged_out'), headers);
    expect(res.status).toBe(401);
    expect(receiver.rejected).toBe(before + 1);
  });

  it('refuses a stale timestamp, even when correctly signed', async () => {
    const body = event('evt_stale');
    const headers = signatureHeaders('evt_stale', body, [secret], new Date(Date.now() - 10 * 60_000));
    expect((await post(body, headers)).status).toBe(401);
  });

  it('refuses a signature made with another secret', async () => {
    const body = event('evt_other');
    const headers = signatureHeaders('evt_other', body, [newWebhookSecret()], new Date());
    expect((await post(body, headers)).status).toBe(401);
  });

  it('signs with every active secret, so holders of either verify during a rotation', async () => {
    const next = newWebhookSecret();
    const body = event('evt_rotation');
    const headers = signatureHeaders('evt_rotation', body, [next, secret], new Date());
    expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
    const newOnly = await startWebhookReceiver({ secrets: [next] });
    try {
      expect((await post(body, headers)).status).toBe(204);
      const res = await fetch(newOnly.url, { method: 'POST', headers, body });
      expect(res.status).toBe(204);
    } finally {
      await newOnly.close();
    }
  });

  it('treats a redirect as a failure and does not follow it', async () => {
    const redirecting = await startWebhookReceiver({
      secrets: [secret],
      respond: () => ({ status: 302, headers: { location: receiver.url } }),
    });
    const before = receiver.received.length;
    try {
      const result = await deliver({
        url: redirecting.url,
        eventId: 'evt_redirect',
        body: event('evt_redirect'),
        secrets: [secret],
        timeoutMs: 2000,
        policy: local,
        now: () => new Date(),
      });
      expect(result).toMatchObject({ delivered: false, statusCode: 302 });
      expect(receiver.received.length).toBe(before);
    } finally {
      await redirecting.close();
    }
  });

  it('times out a receiver that does not answer', async () => {
    const { createServer } = await import('node:http');
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const result = await deliver({
        url: `http://127.0.0.1:${port}/`,
        eventId: 'evt_timeout',
        body: event('evt_timeout'),
        secrets: [secret],
        timeoutMs: 200,
        policy: local,
        now: () => new Date(),
      });
      expect(result).toMatchObject({ delivered: false, overloaded: true });
      expect(result.error).toMatch(/timed out/);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});
