import { proto, type WAMessage } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import { describeInbound, statusOfReceipt } from '../../socket-host/session/inbound.js';

// What Baileys emits in messages.upsert, shaped by hand: the simulator's phones send text only, so
// replies, reactions and media are covered here (media download and storage need WhatsApp's CDN).
const message = (content: proto.IMessage, key: Partial<WAMessage['key']> = {}): WAMessage => ({
  key: { id: 'ABC123', remoteJid: '15550001111@s.whatsapp.net', fromMe: false, ...key },
  message: content,
  messageTimestamp: 1_764_000_000,
  pushName: 'Ana',
});

describe('inbound messages become message.received data', () => {
  it('text, with the sender as digits', () => {
    expect(describeInbound(message({ conversation: 'hi' }))?.data).toEqual({
      messageId: 'ABC123',
      chatJid: '15550001111@s.whatsapp.net',
      senderJid: '15550001111@s.whatsapp.net',
      from: '15550001111',
      pushName: 'Ana',
      timestamp: new Date(1_764_000_000_000).toISOString(),
      kind: 'text',
      text: 'hi',
    });
  });

  it('a reply keeps the id it answers; a LID chat takes the phone number from remoteJidAlt', () => {
    const view = describeInbound(
      message(
        { extendedTextMessage: { text: 'yes', contextInfo: { stanzaId: 'ORIG1' } } },
        { remoteJid: '123456789012345@lid', remoteJidAlt: '15550002222@s.whatsapp.net' },
      ),
    );
    expect(view?.data).toMatchObject({ kind: 'text', text: 'yes', replyTo: 'ORIG1', from: '15550002222' });
  });

  it('a reaction names the emoji and the message reacted to', () => {
    const view = describeInbound(message({ reactionMessage: { text: '👍', key: { id: 'MSG9' } } }));
    expect(view?.data).toMatchObject({ kind: 'reaction', reaction: { emoji: '👍', messageId: 'MSG9' } });
  });

  it('media is described for storage, with its caption', () => {
    const view = describeInbound(
      message({ imageMessage: { mimetype: 'image/jpeg', caption: 'look', fileLength: 2048 } }),
    );
    expect(view?.data.kind).toBe('media');
    expect(view?.media).toEqual({ kind: 'image', mimeType: 'image/jpeg', caption: 'look', size: 2048 });
  });

  it('skips our own messages, protocol messages and empty ones', () => {
    expect(describeInbound(message({ conversation: 'mine' }, { fromMe: true }))).toBeUndefined();
    expect(describeInbound(message({ protocolMessage: { type: 0 } }))).toBeUndefined();
    expect(describeInbound({ key: { id: 'X', remoteJid: 'a@s.whatsapp.net' } })).toBeUndefined();
  });

  it('maps receipts to statuses', () => {
    const S = proto.WebMessageInfo.Status;
    expect([S.SERVER_ACK, S.DELIVERY_ACK, S.READ, S.PLAYED, S.PENDING].map(statusOfReceipt)).toEqual([
      'sent',
      'delivered',
      'read',
      'read',
      undefined,
    ]);
  });
});
