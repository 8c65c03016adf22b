import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/aws/clients.js';
import { physicalName, webhookQueue } from '../../../shared/resources.js';
import type { Phone } from '../../simulator/index.js';
import type { ApiClient } from '../../support/api-client.js';
import { eventually } from '../../support/env.js';
import { startTestGateway, type TestGateway, waitForStatus } from '../../support/gateway.js';
import { drainQueue } from '../../support/resources.js';

describe('a tenant session through the API, the socket host and the simulator', () => {
  let gw: TestGateway;
  let client: ApiClient;
  let tenantId: string;
  let owner: Phone;
  let contact: Phone;
  let whatIsMyIp: Server;

  beforeAll(async () => {
    // Stands in for checkip.amazonaws.com, which the host asks for its egress IP.
    whatIsMyIp = createServer((_req, res) => res.end('203.0.113.7\n'));
    await new Promise<void>((resolve) => whatIsMyIp.listen(0, '127.0.0.1', resolve));
    const { port } = whatIsMyIp.address() as AddressInfo;
    gw = await startTestGateway('life', { EGRESS_IP_URL: `http://127.0.0.1:${port}/` });
    await gw.startHost();
    ({ client, tenantId } = await gw.api.createTenant());
    owner = gw.sim.createPhone();
    contact = gw.sim.createPhone({ autoDeliveryReceipts: false });
  });
  afterAll(async () => {
    await gw.close();
    whatIsMyIp.close();
  });

  it('links by QR read from GET /sessions/{id}/qr and reports connected', async () => {
    const init = await client.post(`/sessions/${tenantId}/initialize`, { method: 'qr' });
    expect(init.status).toBe(202);
    const qr = await eventually(async () => {
      const res = await client.get(`/sessions/${tenantId}/qr`);
      return res.status === 200 ? (res.body.data.qr as string) : undefined;
    });
    await owner.scanQr(qr);
    const status = await eventually(async () => {
      const res = await client.get(`/sessions/${tenantId}/status`);
      return res.body.data.status === 'connected' ? res.body.data : undefined;
    });
    expect(status.user.id).toContain(owner.number);
    expect(gw.sim.openConnectionCount(owner.number)).toBe(1);
  });

  it('sends: the phone receives exactly that text, and status goes sent → delivered → read', async () => {
    const res = await client.post('/send', { phone: contact.number, message: 'hello from the API' });
    expect(res.status).toBe(202);
    const messageId = res.body.data.messageId as string;
    const received = await contact.waitForMessage((m) => m.id === messageId, 30_000);
    expect(received.text).toBe('hello from the API');
    const statusOf = async () => (await client.get(`/messages/${messageId}`)).body.data.status as string;
    await eventually(async () => ((await statusOf()) === 'sent' ? true : undefined));
    await contact.sendReceipt(messageId, 'delivery');
    await eventually(async () => ((await statusOf()) === 'delivered' ? true : undefined));
    await contact.sendReceipt(messageId, 'read');
    await eventually(async () => ((await statusOf()) === 'read' ? true : undefined));
    const history = (await client.get(`/messages/${messageId}`)).body.data.statusHistory.map(
      (h: { status: string }) => h.status,
    );
    expect(history).toEqual(['queued', 'sent', 'delivered', 'read']);
  });

  it('a delivery receipt sent at once (folded by Baileys into its own upsert) still marks delivered', async () => {
    const quick = gw.sim.createPhone(); // answers every message with a delivery receipt straight away
    const res = await client.post('/send', { phone: quick.number, message: 'receipt right away' });
    const messageId = res.body.data.messageId as string;
    await quick.waitForMessage((m) => m.id === messageId, 30_000);
    const status = await eventually(async () => {
      const row = (await client.get(`/messages/${messageId}`)).body.data;
      return row.status === 'delivered' ? row.status : undefined;
    });
    expect(status).toBe('delivered');
  });

  it('receives: a phone’s text becomes a message.received event and is in history', async () => {
    const id = await contact.sendText(owner.jid, 'hello gateway');
    const stored = await eventually(async () => {
      const res = await client.get(`/messages/${id}`);
      return res.status === 200 ? res.body.data : undefined;
    });
    expect(stored.direction).toBe('inbound');
    const events = await eventually(async () => {
      const all = await drainQueue(
        createAwsClients(gw.config).sqs,
        physicalName(gw.config.resourcePrefix, webhookQueue.name),
      );
      const found = all.map((m) => JSON.parse(m.body)).filter((e) => e.type === 'message.received');
      return found.length ? found : undefined;
    });
    expect(events[0]).toMatchObject({
      tenantId,
      data: { messageId: id, kind: 'text', text: 'hello gateway', from: contact.number },
    });
  });

  it('links by pairing code: the route waits for the code, the phone enters it, the session connects', async () => {
    const second = await gw.api.createTenant();
    const phone = gw.sim.createPhone();
    const res = await second.client.post(`/sessions/${second.tenantId}/pairing-code`, {
      phoneNumber: phone.number,
    });
    expect(res.status).toBe(200);
    expect(res.body.data.code).toMatch(/^[A-Z0-9]{4}-?[A-Z0-9]{4}$/);
    await phone.enterPairingCode(res.body.data.code);
    const session = await waitForStatus(second.client, second.tenantId, 'connected');
    expect(session.user.id).toContain(phone.number);
  });

  it.each(['http://127.0.0.1:9/cat.jpg', 'http://169.254.169.254/latest/meta-data/'])(
    'refuses a media URL pointing at %s: the message fails with the reason and is not retried',
    async (mediaUrl) => {
      const res = await client.post('/send-media', { phone: contact.number, mediaUrl, type: 'image' });
      expect(res.status).toBe(202);
      const messageId = res.body.data.messageId as string;
      const failed = await eventually(async () => {
        const row = (await client.get(`/messages/${messageId}`)).body.data;
        return row.status === 'failed' ? row : undefined;
      });
      expect(failed.error).toMatchObject({ code: 'VALIDATION_ERROR' });
      expect(failed.error.message).toMatch(/private, loopback or link-local/);
      expect(contact.received().some((m) => m.id === messageId)).toBe(false);
    },
  );

  it('diagnose checks a contact through the live session', async () => {
    const res = await client.post('/diagnose', { phone: contact.number });
    expect(res.status).toBe(200);
    expect(res.body.data.session).toMatchObject({ status: 'connected', connected: true });
    expect(res.body.data.contact).toMatchObject({ phone: contact.number, checked: true, exists: true });
  });

  it('serves the container health endpoint with the shards it holds and its egress IP', async () => {
    const [host] = gw.hosts;
    const res = await fetch(host?.healthUrl ?? '');
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      status: string;
      egressIp: string;
      shards: number[];
      sessions: Record<string, number>;
    };
    expect(body.status).toBe('ok');
    expect(body.egressIp).toBe('203.0.113.7');
    expect(body.shards).toEqual([0, 1, 2, 3]);
    expect(body.sessions.connected).toBeGreaterThanOrEqual(2);
  });
});
