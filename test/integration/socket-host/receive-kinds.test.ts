import { randomBytes } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/aws/clients.js';
import { type WebhookEvent, webhookEventSchema } from '../../../shared/events.js';
import { physicalName, webhookQueue } from '../../../shared/resources.js';
import type { Phone } from '../../simulator/index.js';
import { quotable } from '../../simulator/phone-content.js';
import type { ApiClient } from '../../support/api-client.js';
import { eventually } from '../../support/env.js';
import { linkByQr, startTestGateway, type TestGateway } from '../../support/gateway.js';
import { drainQueue } from '../../support/resources.js';

/**
 * Every kind a phone sends, through real Signal to real Baileys in the socket host, arrives on the
 * webhook queue as its event with the parsed fields; stickers and voice notes are stored in S3
 * like other media; the phone's own edits and deletions arrive as message.edited / message.deleted.
 */

const VCARD = [
  'BEGIN:VCARD',
  'VERSION:3.0',
  'FN:Ana Lima',
  'ORG:Beauty Salon;',
  'TEL;type=CELL;waid=5511987654321:+55 11 98765-4321',
  'END:VCARD',
].join('\n');

describe('every kind a phone sends arrives as its webhook event', () => {
  let gw: TestGateway;
  let client: ApiClient;
  let tenantId: string;
  let owner: Phone;
  let contact: Phone;
  const seen: WebhookEvent[] = [];

  /** The first event on the webhook queue that matches; every event read is checked against its schema. */
  async function eventWhere(match: (e: WebhookEvent) => boolean): Promise<WebhookEvent> {
    const { sqs } = createAwsClients(gw.config);
    const queue = physicalName(gw.config.resourcePrefix, webhookQueue.name);
    return eventually(
      async () => {
        for (const m of await drainQueue(sqs, queue))
          seen.push(webhookEventSchema.parse(JSON.parse(m.body)) as unknown as WebhookEvent);
        return seen.find(match);
      },
      { timeoutMs: 25_000, message: 'webhook event' },
    );
  }
  const about = (e: WebhookEvent, type: string, messageId: string) =>
    e.type === type && (e.data as { messageId?: string }).messageId === messageId;
  const receivedEvent = (messageId: string) =>
    eventWhere((e) => about(e, 'message.received', messageId)) as Promise<WebhookEvent<'message.received'>>;

  async function storedObject(storageKey: string) {
    const { s3 } = createAwsClients(gw.config);
    const object = await s3.send(new GetObjectCommand({ Bucket: gw.config.bucketName, Key: storageKey }));
    return { body: Buffer.from((await object.Body?.transformToByteArray()) ?? []), type: object.ContentType };
  }

  beforeAll(async () => {
    gw = await startTestGateway('receive-kinds');
    await gw.startHost();
    ({ client, tenantId } = await gw.api.createTenant());
    owner = gw.sim.createPhone();
    contact = gw.sim.createPhone();
    await linkByQr(client, tenantId, owner);
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('a reply quoting the bot’s message, with mentions: replyTo and the mentioned numbers', async () => {
    const sent = await client.post('/send', { phone: contact.number, message: 'Which day suits you?' });
    const botMessageId = sent.body.data.messageId as string;
    const botMessage = await contact.waitForMessage((m) => m.id === botMessageId, 20_000);
    const third = gw.sim.createPhone();
    const id = await contact.send(
      owner.jid,
      { text: `Tuesday, with @${third.number}`, mentions: [third.jid] },
      { quoted: quotable(botMessage) },
    );
    const event = await receivedEvent(id);
    expect(event).toMatchObject({
      tenantId,
      data: {
        kind: 'text',
        from: contact.number,
        text: `Tuesday, with @${third.number}`,
        replyTo: botMessageId,
        mentions: [{ jid: third.jid, phone: third.number }],
      },
    });
  });

  it('a location: its coordinates, name and address', async () => {
    const id = await contact.send(owner.jid, {
      location: {
        degreesLatitude: -23.5614,
        degreesLongitude: -46.6559,
        name: 'Salon',
        address: 'Av. Paulista 1000',
      },
    });
    const { data } = await receivedEvent(id);
    expect(data).toMatchObject({
      kind: 'location',
      location: { latitude: -23.5614, longitude: -46.6559, name: 'Salon', address: 'Av. Paulista 1000' },
    });
  });

  it('a contact card: the vCard’s name and phone with its WhatsApp id, and the vCard itself', async () => {
    const id = await contact.send(owner.jid, {
      contacts: { displayName: 'Ana', contacts: [{ vcard: VCARD }] },
    });
    const { data } = await receivedEvent(id);
    expect(data.kind).toBe('contacts');
    expect(data.contacts).toEqual([
      {
        name: 'Ana Lima',
        organization: 'Beauty Salon',
        phones: [{ number: '+55 11 98765-4321', waId: '5511987654321', type: 'cell' }],
        vcard: VCARD,
      },
    ]);
  });

  it('a poll: its question, options and how many may be chosen', async () => {
    const id = await contact.send(owner.jid, {
      poll: { name: 'Best time?', values: ['Morning', 'Noon', 'Evening'], selectableCount: 2 },
    });
    const { data } = await receivedEvent(id);
    expect(data).toMatchObject({
      kind: 'poll',
      poll: { question: 'Best time?', options: ['Morning', 'Noon', 'Evening'], selectableCount: 2 },
    });
  });

  it.each([
    ['sticker', 'image/webp', (bytes: Buffer) => ({ sticker: bytes })],
    [
      'voice',
      'audio/ogg; codecs=opus',
      (bytes: Buffer) => ({
        audio: bytes,
        ptt: true,
        mimetype: 'audio/ogg; codecs=opus',
        seconds: 2,
      }),
    ],
  ] as const)(
    'a %s is downloaded, decrypted and stored in S3 with its type',
    async (type, mimeType, content) => {
      const bytes = randomBytes(4_000);
      const id = await contact.send(owner.jid, content(bytes));
      const { data } = await receivedEvent(id);
      expect(data).toMatchObject({ kind: 'media', media: { type, mimeType, size: bytes.length } });
      const storageKey = data.media?.storageKey ?? '';
      expect(storageKey).toMatch(new RegExp(`^media/${tenantId}/`));
      const object = await storedObject(storageKey);
      expect(object.body.equals(bytes)).toBe(true);
      expect(object.type).toBe(mimeType);
    },
  );

  it('a view-once image is unwrapped: stored as an image, flagged viewOnce', async () => {
    const bytes = randomBytes(2_000);
    const id = await contact.send(owner.jid, {
      image: bytes,
      mimetype: 'image/png',
      caption: 'once',
      viewOnce: true,
    });
    const { data } = await receivedEvent(id);
    expect(data).toMatchObject({ kind: 'media', viewOnce: true, media: { type: 'image', caption: 'once' } });
    expect((await storedObject(data.media?.storageKey ?? '')).body.equals(bytes)).toBe(true);
  });

  it('the phone edits its text: message.edited with the new text; deletes it: message.deleted', async () => {
    const id = await contact.sendText(owner.jid, 'See you at 10');
    await receivedEvent(id);
    await contact.editSent(owner.jid, id, 'See you at 11');
    const edited = await eventWhere((e) => about(e, 'message.edited', id));
    expect(edited).toMatchObject({
      tenantId,
      data: { messageId: id, text: 'See you at 11', from: contact.number },
    });
    await contact.deleteSent(owner.jid, id);
    const deleted = await eventWhere((e) => about(e, 'message.deleted', id));
    expect(deleted).toMatchObject({ tenantId, data: { messageId: id, from: contact.number } });
    // The protocol messages themselves are not received messages.
    expect(
      seen.filter((e) => e.type === 'message.received' && (e.data as { kind: string }).kind === 'other'),
    ).toEqual([]);
  });
});
