import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { downloadMediaMessage } from '@whiskeysockets/baileys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadTrusting } from '../../../socket-host/whatsapp/socket-options.js';
import { type BaileysClient, connectQrLinked } from '../../simulator/baileys-client.js';
import { type Phone, type Simulator, startSimulator } from '../../simulator/index.js';

/** A raw HTTPS call to the media host, trusting its certificate. */
function callMediaHost(sim: Simulator, method: string, path: string, body?: Buffer) {
  const [hostname, port] = sim.media.hostname.split(':');
  return new Promise<number>((resolve, reject) => {
    const req = request({ hostname, port, path, method, ca: sim.mediaCa }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('media through the simulator’s HTTPS media host', () => {
  let sim: Simulator;
  let owner: Phone;
  let contact: Phone;
  let client: BaileysClient;

  beforeAll(async () => {
    sim = await startSimulator({ seed: 'media' });
    owner = sim.createPhone();
    contact = sim.createPhone();
    client = await connectQrLinked(sim, owner);
  });
  afterAll(async () => {
    await client.end();
    await sim.stop();
  });

  it('Baileys uploads an encrypted image; the phone downloads and decrypts the same bytes', async () => {
    const image = randomBytes(5_000);
    const sent = await client.sock.sendMessage(contact.jid, { image, mimetype: 'image/jpeg', caption: 'hi' });
    const received = await contact.waitForMessage((m) => m.id === sent?.key.id);
    expect(received.message.imageMessage?.directPath).toMatch(/^\/v\//);
    // What the host stores is ciphertext, not the image.
    const stored = sim.media.get(received.message.imageMessage?.directPath ?? '');
    expect(stored?.length).toBeGreaterThan(image.length);
    expect(stored?.includes(image.subarray(0, 64))).toBe(false);
    const media = await contact.downloadMedia(received);
    expect(media.data.equals(image)).toBe(true);
    expect(contact.decryptionFailures()).toEqual([]);
  });

  it('a phone’s document reaches Baileys, which downloads and decrypts it over HTTPS', async () => {
    const document = randomBytes(70_000);
    const id = await contact.sendMedia(owner.jid, {
      document,
      mimetype: 'application/pdf',
      fileName: 'contract.pdf',
    });
    const upsert = await client.waitForUpsert((m) => m.key.id === id);
    expect(upsert.message?.documentMessage?.fileName).toBe('contract.pdf');
    const data = await downloadMediaMessage(upsert, 'buffer', downloadTrusting(sim.mediaCa));
    expect(Buffer.from(data).equals(document)).toBe(true);
  });

  it('refuses an upload with a wrong token or a body that does not match its hash', async () => {
    const body = randomBytes(100);
    const hash = createHash('sha256').update(body).digest('base64url');
    const good = `/mms/image/${hash}?auth=${encodeURIComponent(sim.media.auth)}&token=${hash}`;
    expect(await callMediaHost(sim, 'POST', `/mms/image/${hash}?auth=wrong&token=${hash}`, body)).toBe(401);
    expect(await callMediaHost(sim, 'POST', good, randomBytes(100))).toBe(400);
    expect(await callMediaHost(sim, 'POST', good, body)).toBe(200);
    expect(await callMediaHost(sim, 'GET', '/v/t62.7118-24/0000.enc')).toBe(404);
  });
});
