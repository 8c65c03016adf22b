import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/aws/clients.js';
import { type Command, commandSchema } from '../../../shared/commands.js';
import { physicalName, tables } from '../../../shared/resources.js';
import { MessageRequest } from '../../../shared/schemas/message-kinds.js';
import { shardOf } from '../../../shared/shard.js';
import { type ApiClient, startTestApi, type TestApi } from '../../support/api-client.js';
import { commandQueueName, drainQueue, isolatedResources } from '../../support/resources.js';

/**
 * `POST /messages` at the edge: every kind is queued as one `message.send` command with the
 * content the socket host needs (replies and reactions resolved from this tenant's messages of
 * that chat), and every bad input is a 400 VALIDATION_ERROR naming the field, with nothing
 * recorded or queued.
 */

const TO = '79001234567';
const OTHER = '79007654321';

async function commandsOf(api: TestApi, tenantId: string): Promise<Command[]> {
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

const sentContent = (commands: Command[]) =>
  commands.flatMap((c) => (c.type === 'message.send' ? [{ to: c.payload.to, ...c.payload.content }] : []));

describe('POST /messages', () => {
  let api: TestApi;
  let tenant: { tenantId: string; client: ApiClient };
  let other: { tenantId: string; client: ApiClient };
  /** A message this tenant sent to TO, one it received from TO, and one of another tenant's. */
  let sentId: string;
  const receivedId = '3A0123456789ABCDEF01';
  let foreignId: string;

  beforeAll(async () => {
    api = await startTestApi({
      ...(await isolatedResources('messages-kinds')),
      RATE_LIMIT_MAX_REQUESTS: '100000',
    });
    tenant = await api.createTenant();
    other = await api.createTenant();
    const sent = await tenant.client.post('/send', { phone: TO, message: 'See you at 3?' });
    sentId = sent.body.data.messageId;
    await api.deps.messages.recordInbound(tenant.tenantId, {
      messageId: receivedId,
      from: TO,
      chatJid: `${TO}@s.whatsapp.net`,
      senderJid: `${TO}@s.whatsapp.net`,
      timestamp: new Date().toISOString(),
      kind: 'text',
      text: 'Can I move my appointment?',
    });
    foreignId = (await other.client.post('/send', { phone: TO, message: 'not yours' })).body.data.messageId;
    await commandsOf(api, tenant.tenantId);
    await commandsOf(api, other.tenantId);
  });
  afterAll(() => api?.close());

  describe('queues every kind as one message.send', () => {
    it('text with a reply to a received message and mentions: the quote names its author and text', async () => {
      const res = await tenant.client.post('/messages', {
        to: TO,
        type: 'text',
        text: { body: 'Sure, @79007654321 will call you' },
        replyTo: receivedId,
        mentions: ['+7 900 765-43-21', OTHER],
      });
      expect(res.status).toBe(202);
      expect(res.body.data).toMatchObject({ status: 'queued', companyId: tenant.tenantId });
      const [content] = sentContent(await commandsOf(api, tenant.tenantId));
      expect(content).toEqual({
        to: TO,
        type: 'text',
        text: 'Sure, @79007654321 will call you',
        replyTo: {
          messageId: receivedId,
          participant: `${TO}@s.whatsapp.net`,
          text: 'Can I move my appointment?',
        },
        mentions: [OTHER],
      });
      const view = (await tenant.client.get(`/messages/${res.body.data.messageId}`)).body.data;
      expect(view).toMatchObject({ kind: 'text', replyTo: receivedId, status: 'queued' });
    });

    it('a reply to a message the tenant sent quotes its text', async () => {
      const res = await tenant.client.post('/messages', {
        to: TO,
        type: 'location',
        location: { latitude: -33.8688, longitude: 151.2093, name: 'Salon', address: '1 George St' },
        replyTo: sentId,
      });
      expect(res.status).toBe(202);
      const [content] = sentContent(await commandsOf(api, tenant.tenantId));
      expect(content).toMatchObject({
        type: 'location',
        latitude: -33.8688,
        longitude: 151.2093,
        name: 'Salon',
        address: '1 George St',
        replyTo: { messageId: sentId, text: 'See you at 3?' },
      });
    });

    it('a reaction names the message by id and author; an empty emoji is accepted (it removes)', async () => {
      for (const [messageId, emoji, fromMe] of [
        [receivedId, '👍🏽', false],
        [sentId, '', true],
      ] as const) {
        const res = await tenant.client.post('/messages', {
          to: TO,
          type: 'reaction',
          reaction: { messageId, emoji },
        });
        expect(res.status).toBe(202);
        const [content] = sentContent(await commandsOf(api, tenant.tenantId));
        expect(content).toEqual({
          to: TO,
          type: 'reaction',
          emoji,
          target: { messageId, fromMe, chatJid: `${TO}@s.whatsapp.net` },
        });
      }
    });

    it('a poll gets a vote key of its own; selectableCount defaults to 1', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) {
        const res = await tenant.client.post('/messages', {
          to: TO,
          type: 'poll',
          poll: { question: 'Which day?', options: ['Mon', 'Tue', 'Fri'] },
        });
        expect(res.status).toBe(202);
        ids.push(res.body.data.messageId);
      }
      const polls = sentContent(await commandsOf(api, tenant.tenantId));
      expect(polls).toHaveLength(2);
      expect(polls[0]).toMatchObject({
        type: 'poll',
        question: 'Which day?',
        options: ['Mon', 'Tue', 'Fri'],
        selectableCount: 1,
      });
      const secrets = polls.map((p) => (p.type === 'poll' ? Buffer.from(p.secret, 'base64') : undefined));
      expect(secrets.map((s) => s?.length)).toEqual([32, 32]);
      expect(secrets[0]?.equals(secrets[1] as Buffer)).toBe(false);
      const view = (await tenant.client.get(`/messages/${ids[0]}`)).body.data;
      expect(view).toMatchObject({ kind: 'poll', poll: { question: 'Which day?', selectableCount: 1 } });
      expect(JSON.stringify(view)).not.toContain('secret');
    });

    it('contacts become structured cards; voice, sticker and document keep their media fields', async () => {
      const contacts = await tenant.client.post('/messages', {
        to: TO,
        type: 'contacts',
        contacts: [
          {
            name: { formatted: 'Ana Lima', first: 'Ana', last: 'Lima' },
            phones: [{ phone: '+55 11 98765-4321', waId: '+55 11 98765-4321', type: 'CELL' }],
            emails: [{ email: 'ana@example.com' }],
            org: { company: 'Beauty Salon', title: 'Owner' },
            urls: [{ url: 'https://example.com/ana' }],
          },
        ],
      });
      expect(contacts.status).toBe(202);
      for (const body of [
        { type: 'voice', voice: { url: 'https://example.com/n.ogg', mimeType: 'audio/ogg; codecs=opus' } },
        { type: 'sticker', sticker: { url: 'https://example.com/s.webp' } },
        {
          type: 'document',
          document: { url: 'https://example.com/p.pdf', fileName: 'Prices.pdf', caption: 'prices' },
        },
      ]) {
        expect((await tenant.client.post('/messages', { to: TO, ...body })).status).toBe(202);
      }
      expect(sentContent(await commandsOf(api, tenant.tenantId))).toEqual([
        {
          to: TO,
          type: 'contacts',
          contacts: [
            {
              name: 'Ana Lima',
              firstName: 'Ana',
              lastName: 'Lima',
              organization: 'Beauty Salon',
              title: 'Owner',
              phones: [{ number: '+55 11 98765-4321', waId: '5511987654321', type: 'CELL' }],
              emails: [{ address: 'ana@example.com' }],
              urls: ['https://example.com/ana'],
            },
          ],
        },
        { to: TO, type: 'voice', url: 'https://example.com/n.ogg', mimeType: 'audio/ogg; codecs=opus' },
        { to: TO, type: 'sticker', url: 'https://example.com/s.webp' },
        {
          to: TO,
          type: 'document',
          url: 'https://example.com/p.pdf',
          fileName: 'Prices.pdf',
          caption: 'prices',
        },
      ]);
    });

    it('replays a keyed request without queueing it again', async () => {
      const body = { to: TO, type: 'location', location: { latitude: 1, longitude: 2 } };
      const first = await tenant.client.post('/messages', body, { 'idempotency-key': 'kinds-replay' });
      const again = await tenant.client.post('/messages', body, { 'idempotency-key': 'kinds-replay' });
      expect(again.status).toBe(202);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body.data.messageId).toBe(first.body.data.messageId);
      expect(sentContent(await commandsOf(api, tenant.tenantId))).toHaveLength(1);
    });
  });

  it('documents one schema per kind, each with an example the route’s schema accepts', async () => {
    const doc = (await api.anonymous.get('/openapi.json')).body;
    const union = doc.components.schemas.MessageRequest;
    const kinds = Object.keys(union.discriminator.mapping);
    expect(kinds).toEqual([
      'text',
      'image',
      'video',
      'audio',
      'voice',
      'document',
      'sticker',
      'location',
      'contacts',
      'reaction',
      'poll',
    ]);
    for (const kind of kinds) {
      const name = (union.discriminator.mapping[kind] as string).split('/').at(-1) as string;
      const example = doc.components.schemas[name].example;
      expect(example?.type, name).toBe(kind);
      expect(MessageRequest.safeParse(example).success, name).toBe(true);
    }
  });

  describe('refuses bad input with 400 naming the field, and records and queues nothing', () => {
    const poll = (p: Record<string, unknown>) => ({ to: TO, type: 'poll', poll: { question: 'Q?', ...p } });
    const card = (c: Record<string, unknown>) => ({
      to: TO,
      type: 'contacts',
      contacts: [{ name: { formatted: 'Ana' }, ...c }],
    });
    const cases: Array<[string, () => Record<string, unknown>, string]> = [
      ['a poll with one option', () => poll({ options: ['Only'] }), 'poll.options'],
      [
        'a poll with 13 options',
        () => poll({ options: Array.from({ length: 13 }, (_, i) => `o${i}`) }),
        'poll.options',
      ],
      ['a poll with duplicate options', () => poll({ options: ['Mon', 'Tue', 'Mon'] }), 'poll.options'],
      [
        'a poll whose options differ only in spaces',
        () => poll({ options: ['Mon', ' Mon '] }),
        'poll.options',
      ],
      ['selectableCount 0', () => poll({ options: ['a', 'b'], selectableCount: 0 }), 'poll.selectableCount'],
      [
        'selectableCount above the options',
        () => poll({ options: ['a', 'b'], selectableCount: 3 }),
        'poll.selectableCount',
      ],
      [
        'a latitude above 90',
        () => ({ to: TO, type: 'location', location: { latitude: 90.5, longitude: 0 } }),
        'location.latitude',
      ],
      [
        'a longitude below -180',
        () => ({ to: TO, type: 'location', location: { latitude: 0, longitude: -181 } }),
        'location.longitude',
      ],
      ['a contact without a phone number', () => card({ phones: [] }), 'contacts.0.phones'],
      ['a contact with no phones field', () => card({}), 'contacts.0.phones'],
      [
        'a contact phone without digits',
        () => card({ phones: [{ phone: '+ -' }] }),
        'contacts.0.phones.0.phone',
      ],
      [
        'a contact waId that is no number',
        () => card({ phones: [{ phone: '+1', waId: '12' }] }),
        'contacts.0.phones.0.waId',
      ],
      ['no contacts', () => ({ to: TO, type: 'contacts', contacts: [] }), 'contacts'],
      [
        'a sticker that is not WebP',
        () => ({ to: TO, type: 'sticker', sticker: { url: 'https://e.com/s.png', mimeType: 'image/png' } }),
        'sticker.mimeType',
      ],
      [
        'a voice note that is not Ogg Opus',
        () => ({ to: TO, type: 'voice', voice: { url: 'https://e.com/n.mp3', mimeType: 'audio/mpeg' } }),
        'voice.mimeType',
      ],
      [
        'a voice note in Ogg Vorbis',
        () => ({
          to: TO,
          type: 'voice',
          voice: { url: 'https://e.com/n.ogg', mimeType: 'audio/ogg; codecs=vorbis' },
        }),
        'voice.mimeType',
      ],
      [
        'a caption on a sticker',
        () => ({ to: TO, type: 'sticker', sticker: { url: 'https://e.com/s.webp', caption: 'hi' } }),
        'sticker',
      ],
      [
        'a reply on a reaction',
        () => ({
          to: TO,
          type: 'reaction',
          reaction: { messageId: receivedId, emoji: '👍' },
          replyTo: receivedId,
        }),
        '',
      ],
      ['mentions on a poll', () => ({ ...poll({ options: ['a', 'b'] }), mentions: [OTHER] }), 'mentions'],
      [
        'two emoji in a reaction',
        () => ({ to: TO, type: 'reaction', reaction: { messageId: receivedId, emoji: '👍👎' } }),
        'reaction.emoji',
      ],
      [
        'a reaction to an unknown message',
        () => ({ to: TO, type: 'reaction', reaction: { messageId: '3EB0DOESNOTEXIST', emoji: '👍' } }),
        'reaction.messageId',
      ],
      [
        "a reaction to another tenant's message",
        () => ({ to: TO, type: 'reaction', reaction: { messageId: foreignId, emoji: '👍' } }),
        'reaction.messageId',
      ],
      [
        'a reaction to a message of another chat',
        () => ({ to: OTHER, type: 'reaction', reaction: { messageId: receivedId, emoji: '👍' } }),
        'reaction.messageId',
      ],
      [
        'a reply to an unknown message',
        () => ({ to: TO, type: 'text', text: { body: 'hi' }, replyTo: '3EB0DOESNOTEXIST' }),
        'replyTo',
      ],
      [
        "a reply to another tenant's message",
        () => ({ to: TO, type: 'text', text: { body: 'hi' }, replyTo: foreignId }),
        'replyTo',
      ],
      [
        'a reply to a message of another chat',
        () => ({ to: OTHER, type: 'text', text: { body: 'hi' }, replyTo: sentId }),
        'replyTo',
      ],
      [
        'a mention that is no phone number',
        () => ({ to: TO, type: 'text', text: { body: 'hi' }, mentions: ['12'] }),
        'mentions.0',
      ],
      ['an unknown type', () => ({ to: TO, type: 'carousel' }), 'type'],
      ['an empty text', () => ({ to: TO, type: 'text', text: { body: '' } }), 'text.body'],
      ['a recipient that is no phone number', () => ({ to: '12', type: 'text', text: { body: 'hi' } }), 'to'],
    ];

    it.each(cases)('%s', async (_, body, field) => {
      const rowsBefore = await messageRows(api, tenant.tenantId);
      const res = await tenant.client.post('/messages', body(), {
        'idempotency-key': `bad-${_.replace(/[^a-z0-9]+/gi, '-')}`,
      });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({
        code: 'VALIDATION_ERROR',
        isRetryable: false,
        retryAfter: null,
      });
      // A schema failure lists its issues (path and message); a lookup names its field.
      const details = res.body.error.details as {
        field?: string;
        issues?: Array<{ path: string; message: string }>;
      };
      const named = details.issues?.map((i) => `${i.path}: ${i.message}`) ?? [
        `${details.field}: ${res.body.error.message}`,
      ];
      expect(
        named.some((entry) => entry.startsWith(`${field}:`) || entry.includes(`"${field}"`)),
        named.join('; '),
      ).toBe(true);
      expect(await commandsOf(api, tenant.tenantId)).toEqual([]);
      expect(await messageRows(api, tenant.tenantId)).toHaveLength(rowsBefore.length);
    });

    it('a media URL the host would refuse, in production, names the kind’s url field', async () => {
      const prod = await startTestApi({
        ...(await isolatedResources('messages-kinds-prod')),
        WAFLEET_ENV: 'production',
      });
      try {
        const { client, tenantId } = await prod.createTenant();
        const res = await client.post('/messages', {
          to: TO,
          type: 'sticker',
          sticker: { url: 'https://127.0.0.1/s.webp' },
        });
        expect(res.status).toBe(400);
        expect(res.body.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'sticker.url' } });
        expect(await commandsOf(prod, tenantId)).toEqual([]);
        expect(await messageRows(prod, tenantId)).toEqual([]);
      } finally {
        await prod.close();
      }
    });

    it('the admin key naming a tenant that does not exist is 404 before any lookup', async () => {
      const res = await api.admin.post('/messages', {
        to: TO,
        companyId: 'no-such-tenant',
        type: 'reaction',
        reaction: { messageId: sentId, emoji: '👍' },
      });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    });
  });
});
