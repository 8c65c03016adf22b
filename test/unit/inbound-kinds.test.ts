import { randomBytes } from 'node:crypto';
import { proto, type WAMediaUploadFunction, type WAMessage } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import { eventDataSchemas } from '../../shared/events.js';
import { describeInbound } from '../../socket-host/session/inbound.js';
import { buildContent, type PhoneContent, quotable } from '../simulator/phone-content.js';

// Every kind a phone can send, built by Baileys' own content helpers (as the simulator's phones
// build them) and passed through the wire encoding, so the parsers see what messages.upsert holds.

const GATEWAY = '15550001111@s.whatsapp.net';
const PHONE = '15550002222@s.whatsapp.net';
const noUpload: WAMediaUploadFunction = async () => ({
  mediaUrl: 'https://mmg.invalid/v/t62.7118-24/x.enc',
  directPath: '/v/t62.7118-24/x.enc',
});

async function received(content: PhoneContent, quoted?: WAMessage): Promise<WAMessage> {
  const built = await buildContent(content, { upload: noUpload, from: PHONE, to: GATEWAY, quoted });
  return wire(built);
}

function wire(content: proto.IMessage): WAMessage {
  return {
    key: { id: 'IN1', remoteJid: PHONE, fromMe: false },
    message: proto.Message.decode(proto.Message.encode(content).finish()),
    messageTimestamp: 1_764_000_000,
  };
}

/** The event data, checked against the webhook schema as the publisher checks it. */
function dataOf(message: WAMessage) {
  const view = describeInbound(message);
  if (!view) throw new Error('not described');
  return eventDataSchemas['message.received'].parse(view.data);
}

const VCARD = [
  'BEGIN:VCARD',
  'VERSION:3.0',
  'N:Singh;Jeff;;;',
  'FN:Jeff Singh',
  'ORG:Ashoka Uni;',
  'TEL;type=CELL;type=VOICE;waid=911234567890:+91 12345 67890',
  'item1.TEL;waid=15551234567:+1 (555) 123-4567',
  'EMAIL;type=INTERNET:jeff@example.com',
  'END:VCARD',
].join('\r\n');

describe('each kind a phone sends becomes message.received with its fields', () => {
  it('text with mentions, quoting an earlier message', async () => {
    const original = quotable({
      id: 'ORIG1',
      from: '15550001111:3@s.whatsapp.net',
      message: { conversation: 'hi' },
    });
    const data = dataOf(
      await received(
        { text: 'yes @15550003333', mentions: ['15550003333@s.whatsapp.net', '99887766@lid'] },
        original,
      ),
    );
    expect(data).toMatchObject({
      kind: 'text',
      text: 'yes @15550003333',
      replyTo: 'ORIG1',
      mentions: [{ jid: '15550003333@s.whatsapp.net', phone: '15550003333' }, { jid: '99887766@lid' }],
    });
    expect(data.mentions?.[1]).not.toHaveProperty('phone');
  });

  it('a location, with its name and address', async () => {
    const data = dataOf(
      await received({
        location: {
          degreesLatitude: 48.8584,
          degreesLongitude: 2.2945,
          name: 'Eiffel Tower',
          address: 'Champ de Mars',
        },
      }),
    );
    expect(data).toMatchObject({
      kind: 'location',
      location: { latitude: 48.8584, longitude: 2.2945, name: 'Eiffel Tower', address: 'Champ de Mars' },
    });
  });

  it('a live location is a location flagged live', () => {
    const data = dataOf(wire({ liveLocationMessage: { degreesLatitude: -33.86, degreesLongitude: 151.21 } }));
    expect(data).toMatchObject({
      kind: 'location',
      location: { latitude: -33.86, longitude: 151.21, live: true },
    });
  });

  it('a contact card: name, phones with their WhatsApp ids, email and organization, and the vCard as sent', async () => {
    const data = dataOf(await received({ contacts: { displayName: 'Jeff', contacts: [{ vcard: VCARD }] } }));
    expect(data.kind).toBe('contacts');
    expect(data.contacts).toEqual([
      {
        name: 'Jeff Singh',
        phones: [
          { number: '+91 12345 67890', waId: '911234567890', type: 'cell, voice' },
          { number: '+1 (555) 123-4567', waId: '15551234567' },
        ],
        emails: ['jeff@example.com'],
        organization: 'Ashoka Uni',
        vcard: VCARD,
      },
    ]);
  });

  it('several contact cards; one that does not parse keeps its vCard and display name', async () => {
    const data = dataOf(
      await received({
        contacts: {
          displayName: '2 contacts',
          contacts: [
            { vcard: VCARD },
            { displayName: 'Old Phone', vcard: 'BEGIN:VCARD\nVERSION:2.1\nTEL;CELL:+1555\nEND:VCARD' },
          ],
        },
      }),
    );
    expect(data.contacts?.map((c) => c.name)).toEqual(['Jeff Singh', 'Old Phone']);
    expect(data.contacts?.[1]).toMatchObject({ phones: [], vcard: expect.stringContaining('VERSION:2.1') });
  });

  it.each([
    ['single choice (v3)', 1, 1],
    ['two of three (v1)', 2, 2],
    ['any number (v1, WhatsApp 0)', 0, 3],
  ])('a poll, %s: question, options and how many may be chosen', async (_, selectableCount, expected) => {
    const data = dataOf(
      await received({ poll: { name: 'Which day?', values: ['Mon', 'Tue', 'Wed'], selectableCount } }),
    );
    expect(data).toMatchObject({
      kind: 'poll',
      poll: { question: 'Which day?', options: ['Mon', 'Tue', 'Wed'], selectableCount: expected },
    });
  });

  it('a poll of an announcement group (v2)', async () => {
    const message = await received({
      poll: { name: 'Q', values: ['a', 'b'], selectableCount: 1, toAnnouncementGroup: true },
    });
    expect(message.message?.pollCreationMessageV2).toBeTruthy();
    expect(dataOf(message).poll).toEqual({ question: 'Q', options: ['a', 'b'], selectableCount: 1 });
  });

  it('a sticker is media to store, typed sticker', async () => {
    const view = describeInbound(await received({ sticker: randomBytes(300) }));
    expect(view?.data.kind).toBe('media');
    expect(view?.media).toMatchObject({ kind: 'sticker', mimeType: 'image/webp', size: 300 });
  });

  it('a push-to-talk note is voice; other audio stays audio', async () => {
    const note = { audio: randomBytes(200), mimetype: 'audio/ogg; codecs=opus', seconds: 3 };
    const voice = describeInbound(await received({ ...note, ptt: true }));
    const audio = describeInbound(await received(note));
    expect(voice?.media).toMatchObject({ kind: 'voice', mimeType: 'audio/ogg; codecs=opus' });
    expect(audio?.media?.kind).toBe('audio');
  });

  it('a view-once image is unwrapped and flagged', async () => {
    const message = await received({
      image: randomBytes(100),
      mimetype: 'image/png',
      caption: 'once',
      viewOnce: true,
    });
    expect(message.message?.viewOnceMessage?.message?.imageMessage).toBeTruthy();
    const view = describeInbound(message);
    expect(view?.data).toMatchObject({ kind: 'media', viewOnce: true });
    expect(view?.media).toMatchObject({ kind: 'image', caption: 'once' });
  });

  it('view-once v2 inside an ephemeral wrapper, and a document with caption, are unwrapped', () => {
    const inner = { videoMessage: { mimetype: 'video/mp4', caption: 'v', fileLength: 10 } };
    const v2 = describeInbound(
      wire({ ephemeralMessage: { message: { viewOnceMessageV2: { message: inner } } } }),
    );
    expect(v2?.data.viewOnce).toBe(true);
    expect(v2?.media).toMatchObject({ kind: 'video', caption: 'v' });
    const doc = describeInbound(
      wire({
        documentWithCaptionMessage: {
          message: { documentMessage: { mimetype: 'application/pdf', fileName: 'a.pdf', caption: 'see' } },
        },
      }),
    );
    expect(doc?.media).toEqual({
      kind: 'document',
      mimeType: 'application/pdf',
      fileName: 'a.pdf',
      caption: 'see',
    });
    expect(doc?.data.viewOnce).toBeUndefined();
  });

  it('an ephemeral (disappearing) text is plain text', () => {
    const data = dataOf(wire({ ephemeralMessage: { message: { extendedTextMessage: { text: 'poof' } } } }));
    expect(data).toMatchObject({ kind: 'text', text: 'poof' });
  });

  it('a reaction stays a kind of message.received; an empty emoji removes it', async () => {
    const key = { remoteJid: GATEWAY, fromMe: false, id: 'OUT7' };
    expect(dataOf(await received({ react: { text: '❤️', key } }))).toMatchObject({
      kind: 'reaction',
      reaction: { emoji: '❤️', messageId: 'OUT7' },
    });
    expect(dataOf(await received({ react: { text: '', key } })).reaction).toEqual({
      emoji: '',
      messageId: 'OUT7',
    });
  });

  it('a media reply keeps the id it quotes', async () => {
    const original = quotable({ id: 'ORIG2', from: GATEWAY, message: { conversation: 'send a photo' } });
    const message = await received({ image: randomBytes(50), mimetype: 'image/jpeg' }, original);
    expect(describeInbound(message)?.data.replyTo).toBe('ORIG2');
  });

  it('content no parser knows is kind other; key distribution alone is nothing', () => {
    expect(dataOf(wire({ eventMessage: { name: 'Party' } })).kind).toBe('other');
    expect(
      describeInbound(
        wire({
          senderKeyDistributionMessage: { groupId: 'g' },
          messageContextInfo: { messageSecret: randomBytes(32) },
        }),
      ),
    ).toBeUndefined();
  });
});
