import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/aws/clients.js';
import { commandSchema } from '../../../shared/commands.js';
import { shardOf } from '../../../shared/shard.js';
import { type ApiClient, startTestApi, type TestApi } from '../../support/api-client.js';
import { commandQueueName, drainQueue, isolatedResources } from '../../support/resources.js';

let api: TestApi;
let tenant: { tenantId: string; client: ApiClient };
const commandsOf = async (tenantId: string) => {
  const { sqs } = createAwsClients(api.config);
  const messages = await drainQueue(
    sqs,
    commandQueueName(api.config, shardOf(tenantId, api.config.shardCount)),
  );
  // Tenants share shard queues: keep only this tenant's commands.
  return messages
    .map((m) => ({ ...m, command: commandSchema.parse(JSON.parse(m.body)) }))
    .filter((m) => m.command.tenantId === tenantId);
};

beforeAll(async () => {
  api = await startTestApi(await isolatedResources('api-happy'));
  tenant = await api.createTenant();
});
afterAll(() => api?.close());

describe('messages', () => {
  it('accepts a send with 202 and exactly one well-formed command on the tenant’s shard queue', async () => {
    const res = await tenant.client.post('/send', { phone: '+7 (900) 123-45-67', message: 'Hello World' });
    expect(res.status).toBe(202);
    expect(res.body.data).toMatchObject({ status: 'queued', companyId: tenant.tenantId });
    expect(res.body.data.messageId).toMatch(/^3EB0[0-9A-F]{18}$/);

    const commands = await commandsOf(tenant.tenantId);
    expect(commands).toHaveLength(1);
    const [sent] = commands;
    expect(sent?.groupId).toBe(tenant.tenantId);
    expect(sent?.deduplicationId).toBe(sent?.command.id);
    expect(sent?.command).toMatchObject({
      type: 'message.send',
      tenantId: tenant.tenantId,
      payload: {
        messageId: res.body.data.messageId,
        to: '79001234567',
        content: { type: 'text', text: 'Hello World' },
      },
    });
  });

  it('records the message as queued and serves its status', async () => {
    const sent = await tenant.client.post('/send', { phone: '79001234567', message: 'status please' });
    const res = await tenant.client.get(`/messages/${sent.body.data.messageId}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ direction: 'outbound', to: '79001234567', status: 'queued' });
    expect(res.body.data.statusHistory.map((h: { status: string }) => h.status)).toEqual(['queued']);
    await commandsOf(tenant.tenantId);
  });

  it('queues media by URL', async () => {
    const res = await tenant.client.post('/send-media', {
      phone: '79001234567',
      mediaUrl: 'https://example.com/cat.jpg',
      type: 'image',
      caption: 'Check this out!',
    });
    expect(res.status).toBe(202);
    const [command] = await commandsOf(tenant.tenantId);
    expect(command?.command.payload).toMatchObject({
      content: { type: 'image', url: 'https://example.com/cat.jpg', caption: 'Check this out!' },
    });
  });

  it('answers an Idempotency-Key replay with the first answer and enqueues exactly one command', async () => {
    const headers = { 'idempotency-key': `order-${Date.now()}` };
    const first = await tenant.client.post('/send', { phone: '79001234567', message: 'once' }, headers);
    const replay = await tenant.client.post('/send', { phone: '79001234567', message: 'once' }, headers);
    expect(first.status).toBe(202);
    expect(replay.status).toBe(202);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const commands = await commandsOf(tenant.tenantId);
    expect(commands).toHaveLength(1);
  });
});

describe('sessions', () => {
  it('initializes by QR: the row becomes desired=running and session.start is queued', async () => {
    const res = await tenant.client.post(`/sessions/${tenant.tenantId}/initialize`);
    expect(res.status).toBe(202);
    expect(res.body.data.next).toContain('/qr');
    const [command] = await commandsOf(tenant.tenantId);
    expect(command?.command).toMatchObject({ type: 'session.start', payload: { method: 'qr' } });
    const status = await tenant.client.get(`/sessions/${tenant.tenantId}/status`);
    expect(status.body.data).toMatchObject({
      companyId: tenant.tenantId,
      desired: 'running',
      connected: false,
    });
  });

  it('serves the QR code the socket host wrote, and 409 once it expired', async () => {
    const expiresAt = new Date(Date.now() + 30_000).toISOString();
    await api.deps.sessions.setQr(tenant.tenantId, { qr: '2@abc,def', attempt: 2, expiresAt, epoch: 1 });
    const res = await tenant.client.get(`/sessions/${tenant.tenantId}/qr`);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ qr: '2@abc,def', attempts: 2, expiresAt });

    await api.deps.sessions.setQr(tenant.tenantId, {
      qr: '2@old',
      attempt: 3,
      expiresAt: new Date(Date.now() - 1000).toISOString(),
      epoch: 1,
    });
    const expired = await tenant.client.get(`/sessions/${tenant.tenantId}/qr`);
    expect(expired.status).toBe(409);
    expect(expired.body.error.code).toBe('QR_CODE_ERROR');
  });

  it('returns a pairing code that appears on the session row while the route waits', async () => {
    const other = await api.createTenant();
    const pending = other.client.post(`/sessions/${other.tenantId}/pairing-code`, {
      phoneNumber: '+79001234567',
    });
    // Play the socket host: take the command, write the code.
    const { sqs } = createAwsClients(api.config);
    const queue = commandQueueName(api.config, shardOf(other.tenantId, api.config.shardCount));
    let taken: unknown[] = [];
    while (taken.length === 0) taken = await drainQueue(sqs, queue);
    await api.deps.sessions.setPairingCode(other.tenantId, {
      code: 'ABCD-EFGH',
      phoneNumber: '79001234567',
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
      epoch: 1,
    });
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ code: 'ABCD-EFGH', phoneNumber: '79001234567' });
    expect(res.body.data.expiresIn).toBeGreaterThan(50);
  });

  it('answers 202 with where to poll when no pairing code appears in time', async () => {
    const other = await api.createTenant();
    const res = await other.client.post(`/sessions/${other.tenantId}/pairing-code`, {
      phoneNumber: '79001234567',
    });
    expect(res.status).toBe(202);
    expect(res.body.data.next).toContain(`/sessions/${other.tenantId}/status`);
  });

  it('queues disconnect and logout, and lists the session with the seed’s summary', async () => {
    expect((await tenant.client.post(`/sessions/${tenant.tenantId}/disconnect`)).status).toBe(202);
    expect((await tenant.client.delete(`/sessions/${tenant.tenantId}`)).status).toBe(202);
    const types = (await commandsOf(tenant.tenantId)).map((c) => c.command.type);
    expect(types).toEqual(['session.stop', 'session.logout']);

    const list = await tenant.client.get('/sessions');
    expect(list.body.data).toEqual({ [tenant.tenantId]: { connected: false, status: 'qr' } });
    expect(list.body.summary).toEqual({ total: 1, connected: 0 });
  });

  it('reports metrics from the session counters', async () => {
    await api.deps.sessions.incrementCounter(tenant.tenantId, 'sentCount', 3);
    const res = await tenant.client.get(`/sessions/${tenant.tenantId}/metrics`);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ messagesSent: 3, messagesReceived: 0 });
  });
});

describe('health, diagnose and the document', () => {
  it('answers health without a key, and with totals for the admin key', async () => {
    const open = await api.anonymous.get('/health');
    expect(open.body.data).toMatchObject({ status: 'ok', provider: 'baileys' });
    expect(open.body.data.totalSessions).toBeUndefined();
    const admin = await api.admin.get('/health');
    expect(admin.body.data.totalSessions).toBeGreaterThanOrEqual(1);
  });

  it('diagnoses a stopped session with a recommendation', async () => {
    const fresh = await api.createTenant();
    const res = await fresh.client.post('/diagnose', { phone: '79001234567' });
    expect(res.status).toBe(200);
    expect(res.body.data.session.status).toBe('stopped');
    expect(res.body.data.recommendations.join(' ')).toContain('initialize');
    expect(res.body.data.contact).toMatchObject({ phone: '79001234567', checked: false });
  });

  it('serves the OpenAPI 3.1 document and the docs page', async () => {
    const doc = await api.anonymous.get('/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/whatsapp/send',
        '/api/whatsapp/sessions/{id}/qr',
        '/api/whatsapp/tenants',
      ]),
    );
    const page = await fetch(`${api.url}/api/whatsapp/docs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('openapi.json');
  });
});

describe('tenant administration', () => {
  it('creates, reads, updates and lists tenants, showing secrets only once', async () => {
    const created = await api.createTenant({ webhookUrl: 'https://example.com/hook' });
    expect(created.webhookSecret).toMatch(/^whsec_/);
    const read = await api.admin.get(`/tenants/${created.tenantId}`);
    expect(read.body.data).toMatchObject({
      tenantId: created.tenantId,
      webhook: { url: 'https://example.com/hook', enabled: true },
    });
    expect(JSON.stringify(read.body)).not.toContain(created.webhookSecret);
    const updated = await api.admin.patch(`/tenants/${created.tenantId}`, {
      name: 'Renamed',
      rateLimit: { maxRequests: 5, windowMs: 60_000 },
    });
    expect(updated.body.data).toMatchObject({
      name: 'Renamed',
      rateLimit: { maxRequests: 5, windowMs: 60_000 },
    });
    const list = await api.admin.get('/tenants');
    expect(list.body.data.items.map((t: { tenantId: string }) => t.tenantId)).toContain(created.tenantId);
  });

  it('rotates the API key: the new key works at once and the old one during its grace period', async () => {
    const created = await api.createTenant();
    const rotated = await api.admin.post(`/tenants/${created.tenantId}/api-key/rotate`);
    expect(rotated.status).toBe(200);
    const fresh = created.client.withKey(rotated.body.data.apiKey);
    expect((await fresh.get(`/sessions/${created.tenantId}/status`)).status).toBe(200);
    expect((await created.client.get(`/sessions/${created.tenantId}/status`)).status).toBe(200);
  });

  it('rotates the webhook secret keeping the previous one signing for a window', async () => {
    const created = await api.createTenant();
    const rotated = await api.admin.post(`/tenants/${created.tenantId}/webhook-secret/rotate`);
    expect(rotated.body.data.webhookSecret).toMatch(/^whsec_/);
    expect(rotated.body.data.webhookSecret).not.toBe(created.webhookSecret);
    const tenantRow = await api.deps.tenants.get(created.tenantId);
    expect(api.deps.tenants.activeSecrets(tenantRow)).toEqual([
      rotated.body.data.webhookSecret,
      created.webhookSecret,
    ]);
  });
});
