import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBaileys } from '../../simulator/baileys-client.js';
import { type Simulator, startSimulator } from '../../simulator/index.js';

describe('linking against the simulator', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ seed: 'linking' });
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('links by QR, restarts on 515 and opens; the same creds then open without a QR', async () => {
    const phone = sim.createPhone();
    const first = connectBaileys(sim);
    const qr = await first.nextQr();
    expect(qr).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#/);
    const device = await phone.scanQr(qr);
    expect(await first.waitForClose()).toBe(515);
    expect(first.updates.some((u) => u.isNewLogin)).toBe(true);
    expect(first.auth.state.creds.me?.id).toBe(device.jid);

    const second = connectBaileys(sim, { auth: first.auth });
    await second.waitForOpen();
    expect(second.updates.some((u) => u.qr)).toBe(false);
    expect(second.auth.state.creds.me?.lid).toBe(device.lid);
    expect(sim.openConnectionCount(phone.number)).toBe(1);
    expect(device.keys?.preKeys.size).toBeGreaterThan(0);
    await second.end();

    const third = connectBaileys(sim, { auth: first.auth });
    await third.waitForOpen();
    expect(third.updates.some((u) => u.qr)).toBe(false);
    await third.end();
  });
});
