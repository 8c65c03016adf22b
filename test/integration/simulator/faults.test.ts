import { DisconnectReason } from '@whiskeysockets/baileys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BaileysClient, connectBaileys } from '../../simulator/baileys-client.js';
import { type FaultCode, type Simulator, startSimulator } from '../../simulator/index.js';

describe('injected faults reach Baileys as its DisconnectReason', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ seed: 'faults' });
  });
  afterAll(async () => {
    await sim.stop();
  });

  async function openLinkedClient(config = {}): Promise<{ client: BaileysClient; deviceJid: string }> {
    const linked = sim.createLinkedDevice();
    const client = connectBaileys(sim, { auth: linked, config });
    await client.waitForOpen();
    return { client, deviceJid: linked.device.jid };
  }

  const streamErrors: Array<[FaultCode, number]> = [
    [515, DisconnectReason.restartRequired],
    [401, DisconnectReason.loggedOut],
    [440, DisconnectReason.connectionReplaced],
    [503, DisconnectReason.unavailableService],
    [500, DisconnectReason.badSession],
  ];
  it.each(streamErrors)('stream error %i closes the socket with %i', async (code, reason) => {
    const { client, deviceJid } = await openLinkedClient();
    expect(sim.injectStreamError(deviceJid, code)).toBe(1);
    expect(await client.waitForClose()).toBe(reason);
  });

  it('after a 401 the device is gone: logging in again fails with 401', async () => {
    const { client, deviceJid } = await openLinkedClient();
    sim.injectStreamError(deviceJid, 401);
    await client.waitForClose();
    const again = connectBaileys(sim, { auth: client.auth });
    expect(await again.waitForClose()).toBe(DisconnectReason.loggedOut);
  });

  it('a second login of the same device replaces the first (440), leaving one open connection', async () => {
    const { client, deviceJid } = await openLinkedClient();
    const second = connectBaileys(sim, { auth: client.auth });
    await second.waitForOpen();
    expect(await client.waitForClose()).toBe(DisconnectReason.connectionReplaced);
    await sim.waitUntil(() => sim.openConnectionCount(deviceJid) === 1, 2_000, 'one connection');
    await second.end();
  });

  it('a dropped socket without a close frame closes with connectionClosed (428)', async () => {
    const { client, deviceJid } = await openLinkedClient();
    expect(sim.dropConnection(deviceJid)).toBe(1);
    expect(await client.waitForClose()).toBe(DisconnectReason.connectionClosed);
  });

  it('a server that stops answering is detected by keep-alive as connectionLost (408)', async () => {
    const { client, deviceJid } = await openLinkedClient({ keepAliveIntervalMs: 250 });
    expect(sim.stopAnswering(deviceJid)).toBe(1);
    // Baileys allows keepAliveIntervalMs + 5 s of silence before it gives up.
    expect(await client.waitForClose(8_000)).toBe(DisconnectReason.connectionLost);
  });
});
