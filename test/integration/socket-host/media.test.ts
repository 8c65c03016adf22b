import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/aws/clients.js';
import { physicalName, webhookQueue } from '../../../shared/resources.js';
import type { Phone } from '../../simulator/index.js';
import type { ApiClient } from '../../support/api-client.js';
import { eventually } from '../../support/env.js';
import { linkByQr, startTestGateway, type TestGateway } from '../../support/gateway.js';
import { drainQueue } from '../../support/resources.js';

/**
 * Media end to end through WhatsApp's media path: Baileys encrypts and uploads to the simulator's
 * HTTPS media host (after asking for `media_conn`), the phone downloads and decrypts; and the
 * other way, the socket host downloads a phone's upload, decrypts it and stores it in S3.
 */

// A 1×1 PNG, plus random bytes so each file is its own.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

interface Served {
  url(name: string): string;
  stop(): Promise<void>;
}

/** The customer's file server the API is given URLs of. */
async function serveFiles(files: Record<string, { type: string; body: Buffer }>): Promise<Served> {
  const server: Server = createServer((req, res) => {
    const file = files[(req.url ?? '').slice(1)];
    if (!file) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (name) => `http://127.0.0.1:${port}/${name}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('media through WhatsApp’s media host', () => {
  let gw: TestGateway;
  let files: Served;
  let client: ApiClient;
  let tenantId: string;
  let owner: Phone;
  let contact: Phone;
  const image = Buffer.concat([PNG, randomBytes(64)]);
  const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(40_000)]);
  const video = randomBytes(30_000);
  const audio = randomBytes(20_000);

  beforeAll(async () => {
    // The file server is on loopback: let the socket host fetch from private addresses here.
    gw = await startTestGateway('media', { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
    files = await serveFiles({
      'photo.png': { type: 'image/png', body: image },
      'report.pdf': { type: 'application/pdf', body: pdf },
      'clip.mp4': { type: 'video/mp4', body: video },
      'note.ogg': { type: 'audio/ogg', body: audio },
    });
    await gw.startHost();
    ({ client, tenantId } = await gw.api.createTenant());
    owner = gw.sim.createPhone();
    contact = gw.sim.createPhone();
    await linkByQr(client, tenantId, owner);
  });
  afterAll(async () => {
    await files?.stop();
    await gw?.close();
  });

  it('POST /send-media with an image: the phone downloads and decrypts exactly those bytes', async () => {
    const uploadsBefore = gw.sim.media.uploads();
    const res = await client.post('/send-media', {
      phone: contact.number,
      type: 'image',
      mediaUrl: files.url('photo.png'),
      caption: 'the photo',
    });
    expect(res.status).toBe(202);
    const messageId = res.body.data.messageId as string;
    const received = await contact.waitForMessage((m) => m.id === messageId, 30_000);
    expect(received.message.imageMessage?.caption).toBe('the photo');
    expect(received.message.imageMessage?.mimetype).toBe('image/png');
    const media = await contact.downloadMedia(received);
    expect(media.type).toBe('image');
    expect(media.data.equals(image)).toBe(true);
    expect(gw.sim.media.uploads()).toBe(uploadsBefore + 1);
    const status = await eventually(async () => {
      const row = (await client.get(`/messages/${messageId}`)).body.data;
      return row.status === 'delivered' ? row.status : undefined;
    });
    expect(status).toBe('delivered');
  });

  it('POST /send-media with a document keeps its file name and type', async () => {
    const res = await client.post('/send-media', {
      phone: contact.number,
      type: 'document',
      mediaUrl: files.url('report.pdf'),
      fileName: 'Q3 report.pdf',
    });
    const messageId = res.body.data.messageId as string;
    const received = await contact.waitForMessage((m) => m.id === messageId, 30_000);
    expect(received.message.documentMessage).toMatchObject({
      fileName: 'Q3 report.pdf',
      mimetype: 'application/pdf',
    });
    const media = await contact.downloadMedia(received);
    expect(media.data.equals(pdf)).toBe(true);
  });

  it.each([
    ['video', 'clip.mp4', 'video/mp4', () => video],
    ['audio', 'note.ogg', 'audio/ogg', () => audio],
  ] as const)(
    'POST /send-media with %s: the phone decrypts exactly those bytes',
    async (type, name, mimetype, bytes) => {
      const res = await client.post('/send-media', {
        phone: contact.number,
        type,
        mediaUrl: files.url(name),
      });
      const messageId = res.body.data.messageId as string;
      const received = await contact.waitForMessage((m) => m.id === messageId, 30_000);
      const media = await contact.downloadMedia(received);
      expect(media).toMatchObject({ type, mimetype });
      expect(media.data.equals(bytes())).toBe(true);
    },
  );

  it('a phone’s image is downloaded, decrypted and stored in S3, and the event points at it', async () => {
    const sent = Buffer.concat([PNG, randomBytes(64)]);
    const id = await contact.sendMedia(owner.jid, {
      image: sent,
      mimetype: 'image/png',
      caption: 'from the phone',
    });
    const { sqs, s3 } = createAwsClients(gw.config);
    const event = await eventually(async () => {
      const all = await drainQueue(sqs, physicalName(gw.config.resourcePrefix, webhookQueue.name));
      return all.map((m) => JSON.parse(m.body)).find((e) => e.data?.messageId === id);
    });
    expect(event).toMatchObject({
      type: 'message.received',
      tenantId,
      data: {
        kind: 'media',
        from: contact.number,
        media: { type: 'image', mimeType: 'image/png', caption: 'from the phone', size: sent.length },
      },
    });
    const storageKey = event.data.media.storageKey as string;
    expect(storageKey).toMatch(new RegExp(`^media/${tenantId}/`));
    const object = await s3.send(new GetObjectCommand({ Bucket: gw.config.bucketName, Key: storageKey }));
    expect(Buffer.from(await (object.Body?.transformToByteArray() ?? new Uint8Array())).equals(sent)).toBe(
      true,
    );
    expect(object.ContentType).toBe('image/png');

    // In history, and downloadable through a short-lived link, by this tenant only.
    const view = (await client.get(`/messages/${id}`)).body.data;
    expect(view).toMatchObject({
      direction: 'inbound',
      kind: 'media',
      media: { type: 'image', caption: 'from the phone', downloadable: true },
    });
    const link = await client.get(`/messages/${id}/media`);
    expect(link.status).toBe(200);
    expect(link.body.data).toMatchObject({ type: 'image', mimeType: 'image/png', size: sent.length });
    const file = await fetch(link.body.data.url);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await file.arrayBuffer()).equals(sent)).toBe(true);
    const other = await gw.api.createTenant();
    const foreign = await other.client.get(`/messages/${id}/media`);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('NOT_FOUND');
  });

  it('GET /messages/{id}/media answers 404 for a message without received media', async () => {
    const res = await client.post('/send', { phone: contact.number, message: 'no media here' });
    const messageId = res.body.data.messageId as string;
    const view = (await client.get(`/messages/${messageId}`)).body.data;
    expect(view).toMatchObject({ kind: 'text', text: 'no media here' });
    const link = await client.get(`/messages/${messageId}/media`);
    expect(link.status).toBe(404);
    expect(link.body.error).toMatchObject({ code: 'NOT_FOUND', isRetryable: false });
  });

  it('a media host answering 503 once: the socket host tries again and stores the file', async () => {
    const sent = Buffer.concat([PNG, randomBytes(64)]);
    const before = gw.sim.media.downloads();
    gw.sim.media.failNextDownloads(1);
    const id = await contact.sendMedia(owner.jid, { image: sent, mimetype: 'image/png' });
    const view = await eventually(async () => {
      const res = await client.get(`/messages/${id}`);
      return res.status === 200 ? res.body.data : undefined;
    });
    expect(view.media).toMatchObject({ downloadable: true });
    expect(view.media.error).toBeUndefined();
    expect(gw.sim.media.downloads() - before).toBe(2);
    const link = await client.get(`/messages/${id}/media`);
    const file = await fetch(link.body.data.url);
    expect(Buffer.from(await file.arrayBuffer()).equals(sent)).toBe(true);
  });

  it('a phone’s image whose media is gone still arrives, saying why instead of a storage key', async () => {
    const { sqs } = createAwsClients(gw.config);
    const directPath = '/v/t62.7118-24/0badc0de.enc?ccb=11-4';
    const id = await contact.sendMessage(owner.jid, {
      imageMessage: {
        url: `https://${gw.sim.media.hostname}${directPath}`,
        directPath,
        mediaKey: randomBytes(32),
        mimetype: 'image/jpeg',
        fileLength: 1234,
        caption: 'lost',
      },
    });
    const event = await eventually(async () => {
      const all = await drainQueue(sqs, physicalName(gw.config.resourcePrefix, webhookQueue.name));
      return all.map((m) => JSON.parse(m.body)).find((e) => e.data?.messageId === id);
    });
    expect(event.data.media).toMatchObject({ type: 'image', caption: 'lost' });
    expect(event.data.media.error).toMatch(/could not be downloaded/);
    expect(event.data.media.storageKey).toBeUndefined();
    const stored = (await client.get(`/messages/${id}`)).body.data;
    expect(stored).toMatchObject({ direction: 'inbound', media: { downloadable: false } });
    expect(stored.media.error).toMatch(/could not be downloaded/);
    const link = await client.get(`/messages/${id}/media`);
    expect(link.status).toBe(409);
    expect(link.body.error.message).toMatch(/could not be downloaded/);
  });
});
