import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/aws/clients.js';
import { commandSchema } from '../../../shared/commands.js';
import { physicalName, tables } from '../../../shared/resources.js';
import { shardOf } from '../../../shared/shard.js';
import { type ApiClient, startTestApi, type TestApi } from '../../support/api-client.js';
import { commandQueueName, drainQueue, isolatedResources } from '../../support/resources.js';

/**
 * In production the API refuses a media URL the socket host would refuse anyway, instead of
 * answering 202 and failing the message later. Address literals are judged here; host names are
 * resolved by the host when it fetches (and on every redirect).
 */

async function productionApi(overrides: Record<string, string> = {}) {
  return startTestApi({ ...(await isolatedResources('media-url')), WAFLEET_ENV: 'production', ...overrides });
}

/** This tenant's queued commands (the prefix is this file's own, so nothing else takes them). */
async function commandsOf(api: TestApi, tenantId: string) {
  const { sqs } = createAwsClients(api.config);
  const queued = await drainQueue(
    sqs,
    commandQueueName(api.config, shardOf(tenantId, api.config.shardCount)),
  );
  return queued.map((m) => commandSchema.parse(JSON.parse(m.body))).filter((c) => c.tenantId === tenantId);
}

async function messageRows(api: TestApi, tenantId: string) {
  const { dynamo } = createAwsClients(api.config);
  const { Items = [] } = await dynamo.send(
    new ScanCommand({ TableName: physicalName(api.config.resourcePrefix, tables.messages.id) }),
  );
  return Items.filter((i) => i.tenantId === tenantId);
}

const send = (client: ApiClient, mediaUrl: string, headers?: Record<string, string>) =>
  client.post('/send-media', { phone: '79001234567', type: 'image', mediaUrl }, headers);

describe('POST /send-media in production', () => {
  let api: TestApi;
  let tenant: { tenantId: string; client: ApiClient };
  beforeAll(async () => {
    api = await productionApi();
    tenant = await api.createTenant();
  });
  afterAll(() => api?.close());

  it.each([
    ['plain http', 'http://media.example.com/cat.jpg', /https is required/],
    ['credentials in the URL', 'https://user:secret@media.example.com/cat.jpg', /credentials/],
    ['another scheme', 'ftp://media.example.com/cat.jpg', /scheme ftp:/],
    ['a file URL', 'file:///etc/passwd', /scheme file:/],
    ['loopback', 'https://127.0.0.1/cat.jpg', /private, loopback or link-local/],
    ['loopback in decimal', 'https://2130706433/cat.jpg', /private, loopback or link-local/],
    ['the metadata service', 'https://169.254.169.254/latest/meta-data/', /private, loopback or link-local/],
    ['a private address', 'https://10.0.0.5/cat.jpg', /private, loopback or link-local/],
    ['IPv6 loopback', 'https://[::1]/cat.jpg', /private, loopback or link-local/],
    ['IPv4-compatible loopback', 'https://[::127.0.0.1]/cat.jpg', /private, loopback or link-local/],
    ['IPv4-mapped metadata', 'https://[::ffff:169.254.169.254]/cat.jpg', /private, loopback or link-local/],
  ])('refuses %s with 400 VALIDATION_ERROR naming mediaUrl', async (_, mediaUrl, reason) => {
    const res = await send(tenant.client, mediaUrl, { 'idempotency-key': `refused-${mediaUrl}` });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'mediaUrl' } });
    expect(res.body.error.message).toMatch(reason);
  });

  it('records and queues nothing for a refused URL', async () => {
    const before = await messageRows(api, tenant.tenantId);
    await commandsOf(api, tenant.tenantId);
    const res = await send(tenant.client, 'https://169.254.169.254/latest/meta-data/');
    expect(res.status).toBe(400);
    expect(await commandsOf(api, tenant.tenantId)).toEqual([]);
    expect(await messageRows(api, tenant.tenantId)).toEqual(before);
  });

  it('queues a public https URL, and a host name whose addresses the socket host checks', async () => {
    for (const mediaUrl of ['https://93.184.215.14/cat.jpg', 'https://media.example.com/cat.jpg']) {
      const res = await send(tenant.client, mediaUrl);
      expect(res.status).toBe(202);
    }
    const urls = (await commandsOf(api, tenant.tenantId)).map((c) =>
      c.type === 'message.send' && 'url' in c.payload.content ? c.payload.content.url : undefined,
    );
    expect(urls).toEqual(['https://93.184.215.14/cat.jpg', 'https://media.example.com/cat.jpg']);
  });
});

describe('POST /send-media in production with private targets allowed', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await productionApi({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
  });
  afterAll(() => api?.close());

  it('queues a private https URL but still requires https and refuses credentials', async () => {
    const { client } = await api.createTenant();
    expect((await send(client, 'https://10.0.0.5/cat.jpg')).status).toBe(202);
    expect((await send(client, 'http://10.0.0.5/cat.jpg')).status).toBe(400);
    expect((await send(client, 'https://u:p@10.0.0.5/cat.jpg')).status).toBe(400);
  });
});
