import { randomBytes } from 'node:crypto';
import { downloadMediaMessage, proto, WAMessageStubType } from '@whiskeysockets/baileys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadTrusting } from '../../../socket-host/whatsapp/socket-options.js';
import { type BaileysClient, connectQrLinked } from '../../simulator/baileys-client.js';
import { type Phone, type Simulator, startSimulator } from '../../simulator/index.js';
import { MEDIA_HOST_CA } from '../../simulator/media-host.js';
import { quotable } from '../../simulator/phone-content.js';

/**
 * What a simulated phone sends is what Baileys itself decrypts and understands: each kind of
 * content, media downloadable from the media host, replies, and edits and revokes that Baileys'
 * own message processing applies to the message they name.
 */
describe('every kind of content from a simulated phone, decrypted by real Baileys', () => {
  let sim: Simulator;
  let owner: Phone;
  let contact: Phone;
  let client: BaileysClient;

  beforeAll(async () => {
    sim = await startSimulator({ seed: 'kinds' });
    owner = sim.createPhone();
    contact = sim.createPhone();
    client = await connectQrLinked(sim, owner);
  });
  afterAll(async () => {
    await client.end();
    await sim.stop();
  });

  it('location, contact card and poll arrive as exactly that content', async () => {
    const location = await contact.send(owner.jid, {
      location: { degreesLatitude: 52.52, degreesLongitude: 13.405, name: 'Berlin' },
    });
    const card = await contact.send(owner.jid, {
      contacts: { contacts: [{ displayName: 'Bo', vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Bo\nEND:VCARD' }] },
    });
    const poll = await contact.send(owner.jid, {
      poll: { name: 'Q?', values: ['a', 'b'], selectableCount: 1 },
    });
    expect((await client.waitForUpsert((m) => m.key.id === location)).message?.locationMessage).toMatchObject(
      {
        degreesLatitude: 52.52,
        degreesLongitude: 13.405,
        name: 'Berlin',
      },
    );
    expect((await client.waitForUpsert((m) => m.key.id === card)).message?.contactMessage?.vcard).toContain(
      'FN:Bo',
    );
    const created = (await client.waitForUpsert((m) => m.key.id === poll)).message;
    expect(created?.pollCreationMessageV3?.options?.map((o) => o.optionName)).toEqual(['a', 'b']);
    expect(created?.messageContextInfo?.messageSecret?.length).toBe(32);
  });

  it('a sticker and a voice note: media Baileys downloads and decrypts to the bytes sent', async () => {
    const sticker = randomBytes(1_500);
    const voice = randomBytes(1_200);
    const stickerId = await contact.send(owner.jid, { sticker });
    const voiceId = await contact.send(owner.jid, {
      audio: voice,
      ptt: true,
      mimetype: 'audio/ogg; codecs=opus',
      seconds: 1,
    });
    const stickerMessage = await client.waitForUpsert((m) => m.key.id === stickerId);
    const voiceMessage = await client.waitForUpsert((m) => m.key.id === voiceId);
    expect(stickerMessage.message?.stickerMessage?.mimetype).toBe('image/webp');
    expect(voiceMessage.message?.audioMessage?.ptt).toBe(true);
    const options = downloadTrusting(MEDIA_HOST_CA);
    expect((await downloadMediaMessage(stickerMessage, 'buffer', options)).equals(sticker)).toBe(true);
    expect((await downloadMediaMessage(voiceMessage, 'buffer', options)).equals(voice)).toBe(true);
  });

  it('a view-once image comes wrapped, and a reply quotes the message it answers', async () => {
    const once = await contact.send(owner.jid, {
      image: randomBytes(500),
      mimetype: 'image/png',
      viewOnce: true,
    });
    expect(
      (await client.waitForUpsert((m) => m.key.id === once)).message?.viewOnceMessage?.message?.imageMessage,
    ).toBeTruthy();
    const sent = await client.sock.sendMessage(contact.jid, { text: 'question' });
    const question = await contact.waitForMessage((m) => m.id === sent?.key.id);
    const reply = await contact.send(owner.jid, { text: 'answer' }, { quoted: quotable(question) });
    const context = (await client.waitForUpsert((m) => m.key.id === reply)).message?.extendedTextMessage
      ?.contextInfo;
    expect(context?.stanzaId).toBe(sent?.key.id);
    expect(context?.quotedMessage?.extendedTextMessage?.text).toBe('question');
  });

  it('the phone’s edit and revoke name its message; Baileys applies them to it', async () => {
    const id = await contact.sendText(owner.jid, 'draft');
    await client.waitForUpsert((m) => m.key.id === id);
    await contact.editSent(owner.jid, id, 'final');
    const edited = await client.waitForMessageUpdate((u) => u.key.id === id && Boolean(u.update.message));
    expect(edited.update.message?.editedMessage?.message?.extendedTextMessage?.text).toBe('final');
    await contact.deleteSent(owner.jid, id);
    const revoked = await client.waitForMessageUpdate(
      (u) => u.key.id === id && u.update.messageStubType === WAMessageStubType.REVOKE,
    );
    expect(revoked.update.message).toBeNull();
    const revokeUpsert = client.upserts.find(
      (m) => m.message?.protocolMessage?.type === proto.Message.ProtocolMessage.Type.REVOKE,
    );
    expect(revokeUpsert?.message?.protocolMessage?.key?.id).toBe(id);
  });
});
