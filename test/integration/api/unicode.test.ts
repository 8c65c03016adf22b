import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/aws/clients.js';
import { createCommandQueue } from '../../../shared/aws/command-queue.js';
import { physicalName, tables, webhookQueue } from '../../../shared/resources.js';
import { shardOf } from '../../../shared/shard.js';
import type { Phone } from '../../simulator/index.js';
import type { ApiClient } from '../../support/api-client.js';
import { eventually, testConfig } from '../../support/env.js';
import { linkByQr, startTestGateway, type TestGateway } from '../../support/gateway.js';
import { commandQueueName, drainQueue, isolatedResources } from '../../support/resources.js';

/**
 * Any text WhatsApp can carry travels through the API, the command queue (fauxqs refuses
 * characters outside the BMP, SQS refuses U+FFFE/U+FFFF) and the socket host to the phone
 * unchanged; inbound text travels the webhook queue the same way. What cannot be carried is a 400.
 */

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

// Emoji (with ZWJ and a skin tone), a mathematical letter outside the BMP, CJK, RTL, combining
// marks, and control characters other than NUL, which travel as they are.
const TEXT = 'Привет 👋🏽 👩‍👩‍👧 𝒳 漢字かな한국어 مرحبا é ﷺ \u0007\u001b\u007f\u0085 tab\tend';

describe('text outside ASCII, end to end', () => {
  let gw: TestGateway;
  let client: ApiClient;
  let tenantId: string;
  let owner: Phone;
  let contact: Phone;
  let files: { server: Server; base: string; paths: string[] };

  beforeAll(async () => {
    // The file server is on loopback: let the socket host fetch from private addresses here.
    gw = await startTestGateway('unicode', { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
    const paths: string[] = [];
    const server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': PNG.length }).end(PNG);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    files = { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, paths };
    await gw.startHost();
    ({ client, tenantId } = await gw.api.createTenant());
    owner = gw.sim.createPhone();
    contact = gw.sim.createPhone();
    await linkByQr(client, tenantId, owner);
  });
  afterAll(async () => {
    await new Promise((resolve) => files?.server.close(resolve));
    await gw?.close();
  });

  it('POST /send: the phone receives exactly the text, and the message is sent', async () => {
    const res = await client.post('/send', { phone: contact.number, message: TEXT });
    expect(res.status).toBe(202);
    const messageId = res.body.data.messageId as string;
    const received = await contact.waitForMessage((m) => m.id === messageId, 30_000);
    expect(received.text).toBe(TEXT);
    const view = await eventually(async () => {
      const data = (await client.get(`/messages/${messageId}`)).body.data;
      return data.status === 'sent' || data.status === 'delivered' ? data : undefined;
    });
    expect(view.text).toBe(TEXT);
  });

  it('POST /send-media: an emoji caption and an emoji in the URL arrive as sent', async () => {
    const caption = '📷 𝒳 写真';
    const res = await client.post('/send-media', {
      phone: contact.number,
      type: 'image',
      mediaUrl: `${files.base}/фото-📷.png`,
      caption,
      fileName: '写真😀.png',
    });
    expect(res.status).toBe(202);
    const messageId = res.body.data.messageId as string;
    const received = await contact.waitForMessage((m) => m.id === messageId, 30_000);
    expect(received.message.imageMessage?.caption).toBe(caption);
    expect(files.paths).toContain(`/${encodeURIComponent('фото-📷.png')}`);
  });

  it('an inbound text with emoji reaches the webhook queue unchanged', async () => {
    const id = await contact.sendText(owner.jid, TEXT);
    const { sqs } = createAwsClients(gw.config);
    const event = await eventually(async () => {
      const all = await drainQueue(sqs, physicalName(gw.config.resourcePrefix, webhookQueue.name));
      return all.map((m) => JSON.parse(m.body)).find((e) => e.data?.messageId === id);
    });
    expect(event).toMatchObject({ type: 'message.received', tenantId, data: { text: TEXT } });
  });
});

describe('text WhatsApp cannot carry answers 400 VALIDATION_ERROR naming the field', () => {
  let gw: TestGateway;
  let client: ApiClient;
  let tenantId: string;

  // No socket host: whatever would be queued stays on the queue for the test to see.
  beforeAll(async () => {
    gw = await startTestGateway('unicode-refused');
    ({ client, tenantId } = await gw.api.createTenant());
  });
  afterAll(() => gw?.close());

  const text = (message: string) => ({ path: '/send', body: { message } });
  const media = (fields: Record<string, string>) => ({
    path: '/send-media',
    body: { type: 'image', mediaUrl: 'https://example.com/a.png', ...fields },
  });

  it.each([
    ['a lone high surrogate in the text', 'message', text('broken \ud83d here')],
    ['a lone low surrogate in the text', 'message', text('\ude00 first')],
    ['U+FFFE in the text', 'message', text('not for interchange \ufffe')],
    ['U+FFFF in the text', 'message', text('\uffff')],
    ['NUL in the text', 'message', text('a\u0000b')],
    ['a lone surrogate in the caption', 'caption', media({ caption: 'x\ud800' })],
    ['U+FFFF in the caption', 'caption', media({ caption: 'x\uffff' })],
    ['a lone surrogate in the file name', 'fileName', media({ fileName: 'a\udfff.png' })],
    ['a lone surrogate in the URL', 'mediaUrl', media({ mediaUrl: 'https://example.com/\ud800.png' })],
    ['U+FFFE in the URL', 'mediaUrl', media({ mediaUrl: 'https://example.com/\ufffe.png' })],
  ])('%s', async (_, field, { path, body }) => {
    // JSON.stringify writes a lone surrogate and NUL as \u escapes, as a client must.
    const res = await client.post(path, { phone: '79001234567', ...body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(res.body.error.details.issues.map((i: { path: string }) => i.path)).toEqual([field]);
  });

  it('records and queues nothing for the refused requests', async () => {
    const { sqs, dynamo } = createAwsClients(gw.config);
    const queued = (
      await Promise.all(
        Array.from({ length: gw.config.shardCount }, (_, shard) =>
          drainQueue(sqs, commandQueueName(gw.config, shard)),
        ),
      )
    ).flat();
    expect(queued.map((m) => JSON.parse(m.body).type)).not.toContain('message.send');
    const { Items = [] } = await dynamo.send(
      new ScanCommand({ TableName: physicalName(gw.config.resourcePrefix, tables.messages.id) }),
    );
    expect(Items.filter((i) => i.tenantId === tenantId)).toEqual([]);
  });
});

describe('the command queue', () => {
  it('carries strings the API refuses but SQS must not choke on (U+FFFF, a lone surrogate) exactly', async () => {
    const config = testConfig(await isolatedResources('unicode-queue'));
    const { sqs } = createAwsClients(config);
    const text = 'U+FFFF \uffff, lone \ud800, emoji 😀';
    const command = {
      id: 'cmd-unicode-1',
      type: 'message.send' as const,
      tenantId: 'unicode-tenant',
      issuedAt: new Date().toISOString(),
      payload: { messageId: '3EB0UNICODE', to: '79001234567', content: { type: 'text' as const, text } },
    };
    await createCommandQueue({ sqs, config }).publish(command);
    const shard = shardOf(command.tenantId, config.shardCount);
    const [message] = await drainQueue(sqs, commandQueueName(config, shard));
    expect(JSON.parse(message?.body ?? '')).toEqual(command);
  });
});
