import { proto } from '@whiskeysockets/baileys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BaileysClient, connectQrLinked } from '../../simulator/baileys-client.js';
import { type Phone, type Simulator, startSimulator } from '../../simulator/index.js';

describe('end-to-end encrypted text through the simulator', () => {
  let sim: Simulator;
  let owner: Phone;
  let contact: Phone;
  let client: BaileysClient;

  beforeAll(async () => {
    sim = await startSimulator({ seed: 'messages' });
    owner = sim.createPhone();
    contact = sim.createPhone({ autoDeliveryReceipts: false });
    client = await connectQrLinked(sim, owner);
  });
  afterAll(async () => {
    await client.end();
    await sim.stop();
  });

  it('delivers the device’s text to the phone, which decrypts exactly that text', async () => {
    const sent = await client.sock.sendMessage(contact.jid, { text: 'hello from the gateway' });
    const received = await contact.waitForMessage((m) => m.id === sent?.key.id);
    expect(received.text).toBe('hello from the gateway');
    expect(received.from).toBe(client.auth.state.creds.me?.id);
    expect(contact.decryptionFailures()).toEqual([]);
  });

  it('delivers a phone’s text to the device as messages.upsert', async () => {
    const id = await contact.sendText(owner.jid, 'hello from a phone');
    const upsert = await client.waitForUpsert((m) => m.key.id === id);
    expect(upsert.message?.conversation).toBe('hello from a phone');
    expect(upsert.key.fromMe).toBe(false);
    expect([upsert.key.remoteJid, upsert.key.remoteJidAlt]).toContain(contact.jid);
    expect(upsert.messageStubType).toBeUndefined();
  });

  it('reports delivery and then read receipts as messages.update', async () => {
    const sent = await client.sock.sendMessage(contact.jid, { text: 'please read me' });
    const id = sent?.key.id ?? '';
    await contact.waitForMessage((m) => m.id === id);
    // Baileys holds its own upsert of a sent message for ~100 ms and folds receipts arriving in that
    // window into it; waiting for the upsert keeps this test about separate updates.
    await client.waitForUpsert((m) => m.key.id === id);
    await contact.sendReceipt(id, 'delivery');
    const delivered = await client.waitForMessageUpdate(
      (u) => u.key.id === id && u.update.status === proto.WebMessageInfo.Status.DELIVERY_ACK,
    );
    expect(delivered.key.fromMe).toBe(true);
    await contact.sendReceipt(id, 'read');
    const read = await client.waitForMessageUpdate(
      (u) => u.key.id === id && u.update.status === proto.WebMessageInfo.Status.READ,
    );
    expect(read.key.id).toBe(id);
  });

  it('keeps both Signal sessions in step over 20 messages each way', async () => {
    const outgoing: string[] = [];
    const incoming: string[] = [];
    for (let i = 0; i < 20; i++) {
      const sent = await client.sock.sendMessage(contact.jid, { text: `out ${i}` });
      outgoing.push(sent?.key.id ?? '');
      incoming.push(await contact.sendText(owner.jid, `in ${i}`));
    }
    for (const [i, id] of outgoing.entries()) {
      expect((await contact.waitForMessage((m) => m.id === id)).text).toBe(`out ${i}`);
    }
    for (const [i, id] of incoming.entries()) {
      expect((await client.waitForUpsert((m) => m.key.id === id)).message?.conversation).toBe(`in ${i}`);
    }
    expect(contact.decryptionFailures()).toEqual([]);
    expect(
      client.upserts.filter((m) => m.messageStubType !== undefined && m.messageStubType !== null),
    ).toEqual([]);
  });
});
