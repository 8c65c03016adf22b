import { DisconnectReason } from '@whiskeysockets/baileys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBaileys } from '../../simulator/baileys-client.js';
import { type Simulator, startSimulator } from '../../simulator/index.js';

describe('pairing-code linking', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ seed: 'pairing-code' });
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('links when the phone enters the code, then opens after the 515 restart', async () => {
    const phone = sim.createPhone();
    const linking = connectBaileys(sim);
    // Asking before the first QR would send before the Noise session is ready.
    await linking.nextQr();
    const code = await linking.sock.requestPairingCode(phone.number);
    expect(code).toMatch(/^[A-Z0-9]{8}$/);
    const device = await phone.enterPairingCode(code);
    expect(await linking.waitForClose()).toBe(DisconnectReason.restartRequired);
    expect(linking.auth.state.creds.me?.id).toBe(device.jid);

    const client = connectBaileys(sim, { auth: linking.auth });
    await client.waitForOpen();
    expect(sim.openConnectionCount(device.jid)).toBe(1);
    await client.end();
  });

  it('does not link with a wrong code: the companion rejects the pair-success', async () => {
    const phone = sim.createPhone();
    const linking = connectBaileys(sim);
    await linking.nextQr();
    const code = await linking.sock.requestPairingCode(phone.number);
    const wrong = code.startsWith('A') ? `B${code.slice(1)}` : `A${code.slice(1)}`;
    await expect(phone.enterPairingCode(wrong)).rejects.toThrow();
    expect(phone.linkedDevices()).toEqual([]);
    await linking.end();
  });
});
