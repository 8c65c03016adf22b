import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVCard } from '../../../shared/vcard.js';
import type { Phone, ReceivedMessage } from '../../simulator/index.js';
import type { ApiClient } from '../../support/api-client.js';
import { eventually } from '../../support/env.js';
import { linkByQr, startTestGateway, type TestGateway } from '../../support/gateway.js';

/**
 * Every kind sent through `POST /messages` travels the command queue and the socket host's real
 * Baileys, through real Signal, to the simulated phone, which decrypts exactly that content: the
 * coordinates, the vCard, the poll's options and vote key, the quoted id, the mentions, the
 * sticker's and voice note's bytes, the reaction's key and emoji.
 */

/** A WebP file's RIFF header, then bytes of its own. */
const webp = () => {
  const body = randomBytes(2_000);
  const header = Buffer.alloc(12);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(body.length + 4, 4);
  header.write('WEBP', 8, 'latin1');
  return Buffer.concat([header, Buffer.from('VP8 ', 'latin1'), body]);
};

/** An Ogg page holding Opus's identification header, then bytes of its own. */
const oggOpus = () => {
  const page = Buffer.alloc(28);
  page.write('OggS', 0, 'latin1');
  page[5] = 2; // beginning of stream
  page[26] = 1; // one segment…
  page[27] = 19; // …of 19 bytes: OpusHead
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'latin1');
  head[8] = 1;
  head[9] = 1;
  head.writeUInt32LE(48_000, 12);
  return Buffer.concat([page, head, randomBytes(6_000)]);
};

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

async function serveFiles(files: Record<string, { type: string; body: Buffer }>) {
  const server: Server = createServer((req, res) => {
    const file = files[(req.url ?? '').slice(1)];
    if (!file) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (name: string) => `http://127.0.0.1:${port}/${name}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('every kind sent through POST /messages is what the phone decrypts', () => {
  let gw: TestGateway;
  let files: Awaited<ReturnType<typeof serveFiles>>;
  let client: ApiClient;
  let tenantId: string;
  let owner: Phone;
  let contact: Phone;
  let mentioned: Phone;
  const sticker = webp();
  const voice = oggOpus();

  /** Sends through the API and returns what the contact's phone decrypted for that id. */
  async function sendAndReceive(body: Record<string, unknown>): Promise<ReceivedMessage> {
    const res = await client.post('/messages', { to: contact.number, ...body });
    expect(res.status).toBe(202);
    const messageId = res.body.data.messageId as string;
    return contact.waitForMessage((m) => m.id === messageId, 30_000);
  }

  /** A message the contact sent, once the gateway has recorded it. */
  async function receivedFromContact(text: string): Promise<string> {
    const id = await contact.sendText(owner.jid, text);
    await eventually(async () => ((await client.get(`/messages/${id}`)).status === 200 ? true : undefined), {
      timeoutMs: 20_000,
      message: 'inbound message recorded',
    });
    return id;
  }

  beforeAll(async () => {
    // The file server is on loopback: let the socket host fetch from private addresses here.
    gw = await startTestGateway('send-kinds', { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
    files = await serveFiles({
      'thanks.webp': { type: 'image/webp', body: sticker },
      'note.ogg': { type: 'audio/ogg; codecs=opus', body: voice },
      'photo.png': { type: 'image/png', body: PNG },
      'fake.webp': { type: 'image/webp', body: PNG },
      'vorbis.ogg': { type: 'audio/ogg; codecs=vorbis', body: voice },
    });
    await gw.startHost();
    ({ client, tenantId } = await gw.api.createTenant());
    owner = gw.sim.createPhone();
    contact = gw.sim.createPhone();
    mentioned = gw.sim.createPhone();
    await linkByQr(client, tenantId, owner);
  });
  afterAll(async () => {
    await files?.stop();
    await gw?.close();
  });

  it('text with mentions carries the mentioned accounts’ jids', async () => {
    const received = await sendAndReceive({
      type: 'text',
      text: { body: `Hi! @${mentioned.number} will call you` },
      mentions: [`+${mentioned.number}`],
    });
    expect(received.message.extendedTextMessage).toMatchObject({
      text: `Hi! @${mentioned.number} will call you`,
      contextInfo: { mentionedJid: [mentioned.jid] },
    });
  });

  it('a reply quotes the received message: its id, its author and its text', async () => {
    const question = await receivedFromContact('Can I come at 4?');
    const received = await sendAndReceive({
      type: 'text',
      text: { body: 'Yes, see you' },
      replyTo: question,
    });
    expect(received.message.extendedTextMessage?.text).toBe('Yes, see you');
    expect(received.message.extendedTextMessage?.contextInfo).toMatchObject({
      stanzaId: question,
      participant: contact.jid,
      quotedMessage: { conversation: 'Can I come at 4?' },
    });
  });

  it('a reply to the tenant’s own message names the tenant’s account as its author', async () => {
    const first = await sendAndReceive({ type: 'text', text: { body: 'Your booking: Friday 10:00' } });
    const received = await sendAndReceive({
      type: 'location',
      location: { latitude: 55.7558, longitude: 37.6173 },
      replyTo: first.id,
    });
    expect(received.message.locationMessage?.contextInfo).toMatchObject({
      stanzaId: first.id,
      participant: owner.jid,
      quotedMessage: { conversation: 'Your booking: Friday 10:00' },
    });
  });

  it('a location arrives with its exact coordinates, name and address', async () => {
    const received = await sendAndReceive({
      type: 'location',
      location: {
        latitude: -33.868_820_1,
        longitude: 151.209_295_5,
        name: 'Salon 💇',
        address: '1 George St, Sydney',
      },
    });
    expect(received.message.locationMessage).toMatchObject({
      degreesLatitude: -33.868_820_1,
      degreesLongitude: 151.209_295_5,
      name: 'Salon 💇',
      address: '1 George St, Sydney',
    });
  });

  it('one contact arrives as a contact card with the vCard built from its fields', async () => {
    const received = await sendAndReceive({
      type: 'contacts',
      contacts: [
        {
          name: { formatted: 'Ana; Lima, Jr.', first: 'Ana', last: 'Lima' },
          phones: [{ phone: '+55 11 98765-4321', waId: '5511987654321' }],
          emails: [{ email: 'ana@example.com' }],
          org: { company: 'Beauty Salon' },
        },
      ],
    });
    const vcard = buildVCard({
      name: 'Ana; Lima, Jr.',
      firstName: 'Ana',
      lastName: 'Lima',
      organization: 'Beauty Salon',
      phones: [{ number: '+55 11 98765-4321', waId: '5511987654321' }],
      emails: [{ address: 'ana@example.com' }],
    });
    expect(received.message.contactMessage).toMatchObject({ displayName: 'Ana; Lima, Jr.', vcard });
    expect(vcard).toContain('FN:Ana; Lima\\, Jr.');
  });

  it('several contacts arrive as one contacts array, in order', async () => {
    const received = await sendAndReceive({
      type: 'contacts',
      contacts: [
        { name: { formatted: 'Front desk' }, phones: [{ phone: '+551133334444', type: 'WORK' }] },
        { name: { formatted: 'Ana' }, phones: [{ phone: '+5511987654321', waId: '5511987654321' }] },
      ],
    });
    const array = received.message.contactsArrayMessage;
    expect(array?.displayName).toBe('2 contacts');
    expect(array?.contacts?.map((c) => c.displayName)).toEqual(['Front desk', 'Ana']);
    expect(array?.contacts?.[0]?.vcard).toContain('TEL;type=WORK;type=VOICE:+551133334444');
    expect(array?.contacts?.[1]?.vcard).toContain(
      'TEL;type=CELL;type=VOICE;waid=5511987654321:+5511987654321',
    );
  });

  it('a single-choice poll: its question, options and count, and the vote key the table keeps', async () => {
    const received = await sendAndReceive({
      type: 'poll',
      poll: { question: 'Which day?', options: ['Mon', 'Tue', 'Fri'], selectableCount: 1 },
    });
    expect(received.message.pollCreationMessageV3).toMatchObject({
      name: 'Which day?',
      options: [{ optionName: 'Mon' }, { optionName: 'Tue' }, { optionName: 'Fri' }],
      selectableOptionsCount: 1,
    });
    const row = await gw.api.deps.messages.get(tenantId, received.id);
    const secret = row.content?.type === 'poll' ? Buffer.from(row.content.secret, 'base64') : undefined;
    const decrypted = Buffer.from(received.message.messageContextInfo?.messageSecret ?? []);
    expect(decrypted).toHaveLength(32);
    expect(secret && decrypted.equals(secret)).toBe(true);
  });

  it('a poll where two of four may be chosen', async () => {
    const received = await sendAndReceive({
      type: 'poll',
      poll: { question: 'Which services?', options: ['Cut', 'Colour', 'Nails', 'Spa'], selectableCount: 2 },
    });
    expect(received.message.pollCreationMessage).toMatchObject({
      name: 'Which services?',
      options: ['Cut', 'Colour', 'Nails', 'Spa'].map((optionName) => ({ optionName })),
      selectableOptionsCount: 2,
    });
  });

  it('a reaction on a received message names it by id, and an empty emoji takes it back', async () => {
    const target = await receivedFromContact('Thanks a lot!');
    const reacted = await sendAndReceive({ type: 'reaction', reaction: { messageId: target, emoji: '❤️' } });
    expect(reacted.message.reactionMessage).toMatchObject({ text: '❤️', key: { id: target, fromMe: false } });
    const removed = await sendAndReceive({ type: 'reaction', reaction: { messageId: target, emoji: '' } });
    expect(removed.message.reactionMessage?.key?.id).toBe(target);
    expect(removed.message.reactionMessage?.text ?? '').toBe('');
  });

  it('a reaction on the tenant’s own message names it as the sender’s', async () => {
    const own = await sendAndReceive({ type: 'text', text: { body: 'Booked!' } });
    const reacted = await sendAndReceive({
      type: 'reaction',
      reaction: { messageId: own.id, emoji: '👍🏽' },
    });
    expect(reacted.message.reactionMessage).toMatchObject({
      text: '👍🏽',
      key: { id: own.id, fromMe: true },
    });
  });

  it('a sticker: a WebP the phone downloads and decrypts byte for byte', async () => {
    const received = await sendAndReceive({ type: 'sticker', sticker: { url: files.url('thanks.webp') } });
    expect(received.message.stickerMessage?.mimetype).toBe('image/webp');
    const media = await contact.downloadMedia(received);
    expect(media.type).toBe('sticker');
    expect(media.data.equals(sticker)).toBe(true);
  });

  it('a voice note: push-to-talk Ogg Opus, decrypted byte for byte, quoting and mentioning', async () => {
    const question = await receivedFromContact('Could you explain?');
    const received = await sendAndReceive({
      type: 'voice',
      voice: { url: files.url('note.ogg') },
      replyTo: question,
      mentions: [mentioned.number],
    });
    expect(received.message.audioMessage).toMatchObject({
      ptt: true,
      mimetype: 'audio/ogg; codecs=opus',
      contextInfo: { stanzaId: question, mentionedJid: [mentioned.jid] },
    });
    const media = await contact.downloadMedia(received);
    expect(media.data.equals(voice)).toBe(true);
  });

  it('an image with a caption replying to a received message', async () => {
    const question = await receivedFromContact('What does it look like?');
    const received = await sendAndReceive({
      type: 'image',
      image: { url: files.url('photo.png'), caption: 'Like this' },
      replyTo: question,
    });
    expect(received.message.imageMessage).toMatchObject({
      caption: 'Like this',
      contextInfo: { stanzaId: question, quotedMessage: { conversation: 'What does it look like?' } },
    });
    expect((await contact.downloadMedia(received)).data.equals(PNG)).toBe(true);
  });

  it.each([
    [
      'a sticker URL serving a PNG labelled WebP',
      { type: 'sticker', sticker: { url: 'fake.webp' } },
      /not WebP/,
    ],
    ['a sticker URL serving a PNG', { type: 'sticker', sticker: { url: 'photo.png' } }, /image\/png/],
    ['a voice URL serving Ogg Vorbis', { type: 'voice', voice: { url: 'vorbis.ogg' } }, /audio\/ogg/],
  ] as const)(
    '%s: the message fails with the reason and nothing reaches the phone',
    async (_, body, reason) => {
      const kind =
        body.type === 'sticker'
          ? { sticker: { url: files.url(body.sticker.url) } }
          : { voice: { url: files.url(body.voice.url) } };
      const res = await client.post('/messages', { to: contact.number, type: body.type, ...kind });
      expect(res.status).toBe(202);
      const messageId = res.body.data.messageId as string;
      const view = await eventually(
        async () => {
          const data = (await client.get(`/messages/${messageId}`)).body.data;
          return data.status === 'failed' ? data : undefined;
        },
        { timeoutMs: 20_000, message: 'message failed' },
      );
      expect(view.error.message).toMatch(reason);
      // A later message arrives, and the refused one never did.
      const after = await sendAndReceive({ type: 'text', text: { body: 'next' } });
      expect(after.text).toBe('next');
      expect(contact.received().some((m) => m.id === messageId)).toBe(false);
    },
  );
});
