import { proto, type WAMessage } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import { describeInbound, describeProtocol, statusOfReceipt } from '../../socket-host/session/inbound.js';
import { buildContent, editOf, revokeOf } from '../simulator/phone-content.js';

// What Baileys emits in messages.upsert, shaped by hand; every kind built by Baileys' own helpers is
// in inbound-kinds.test.ts, and arrives through the simulator in receive-kinds.test.ts.
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

describe('protocol messages become message.edited and message.deleted', () => {
  const chat = '15550001111@s.whatsapp.net';
  const fromPhone = async (content: Parameters<typeof buildContent>[0]) =>
    message(
      proto.Message.decode(
        proto.Message.encode(
          await buildContent(content, {
            upload: async () => ({ mediaUrl: '', directPath: '' }),
            from: chat,
            to: '15550009999@s.whatsapp.net',
          }),
        ).finish(),
      ),
      { id: 'PROTO1' },
    );

  it('an edit names the edited message, its new text and when it was edited', async () => {
    const edit = await fromPhone(editOf('15550009999@s.whatsapp.net', 'ORIG1', 'fixed typo'));
    const editedAtMs = Number(edit.message?.protocolMessage?.timestampMs);
    expect(describeProtocol(edit)).toEqual({
      type: 'message.edited',
      data: {
        messageId: 'ORIG1',
        chatJid: chat,
        senderJid: chat,
        from: '15550001111',
        timestamp: new Date(editedAtMs).toISOString(),
        text: 'fixed typo',
      },
    });
    expect(describeInbound(edit)).toBeUndefined();
  });

  it('an edit inside the editedMessage wrapper, and a caption edit, are edits too', () => {
    const MESSAGE_EDIT = proto.Message.ProtocolMessage.Type.MESSAGE_EDIT;
    const wrapped = message({
      editedMessage: {
        message: {
          protocolMessage: {
            type: MESSAGE_EDIT,
            key: { id: 'ORIG2', fromMe: true },
            editedMessage: { extendedTextMessage: { text: 'v2' } },
          },
        },
      },
    });
    expect(describeProtocol(wrapped)).toMatchObject({
      type: 'message.edited',
      data: { messageId: 'ORIG2', text: 'v2' },
    });
    expect(describeInbound(wrapped)).toBeUndefined();
    const caption = message({
      protocolMessage: {
        type: MESSAGE_EDIT,
        key: { id: 'ORIG3' },
        editedMessage: { imageMessage: { caption: 'new caption' } },
      },
    });
    expect(describeProtocol(caption)?.data).toMatchObject({ messageId: 'ORIG3', text: 'new caption' });
  });

  it('a revoke is a deletion of the message it names', async () => {
    const revoke = await fromPhone(revokeOf('15550009999@s.whatsapp.net', 'ORIG4'));
    expect(describeProtocol(revoke)).toEqual({
      type: 'message.deleted',
      data: {
        messageId: 'ORIG4',
        chatJid: chat,
        senderJid: chat,
        from: '15550001111',
        timestamp: new Date(1_764_000_000_000).toISOString(),
      },
    });
    expect(describeInbound(revoke)).toBeUndefined();
  });

  it('ignores content, other protocol messages, our own and key-less ones', () => {
    const T = proto.Message.ProtocolMessage.Type;
    expect(describeProtocol(message({ conversation: 'hi' }))).toBeUndefined();
    expect(
      describeProtocol(message({ protocolMessage: { type: T.EPHEMERAL_SETTING, key: { id: 'X' } } })),
    ).toBeUndefined();
    expect(
      describeProtocol(message({ protocolMessage: { type: T.REVOKE, key: { id: 'X' } } }, { fromMe: true })),
    ).toBeUndefined();
    expect(describeProtocol(message({ protocolMessage: { type: T.REVOKE } }))).toBeUndefined();
  });
});
