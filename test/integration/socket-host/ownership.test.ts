import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/aws/clients.js';
import { shardOf } from '../../../shared/shard.js';
import { tableName } from '../../../shared/stores/table-names.js';
import { createAuthStateRepository } from '../../../socket-host/auth-state/dynamo-auth-state.js';
import { acquireFence, FenceLostError } from '../../../socket-host/auth-state/fence.js';
import { leaseKeyOf } from '../../../socket-host/leases/lease-manager.js';
import type { Phone } from '../../simulator/index.js';
import type { ApiClient } from '../../support/api-client.js';
import { eventually } from '../../support/env.js';
import { linkByQr, startTestGateway, type TestGateway, waitForStatus } from '../../support/gateway.js';

interface LinkedTenant {
  client: ApiClient;
  tenantId: string;
  phone: Phone;
}

/** One connection per tenant across hosts, takeovers, restarts, and fencing (architecture §5, §12). */
describe('session ownership across socket hosts', () => {
  let gw: TestGateway;
  const tenants: LinkedTenant[] = [];
  let contact: Phone;

  beforeAll(async () => {
    gw = await startTestGateway('own');
    await gw.startHost('own-a');
    contact = gw.sim.createPhone();
    for (let i = 0; i < 4; i++) {
      const { client, tenantId } = await gw.api.createTenant();
      const phone = gw.sim.createPhone();
      await linkByQr(client, tenantId, phone);
      tenants.push({ client, tenantId, phone });
    }
  });
  afterAll(() => gw.close());

  const connectionsPerTenant = () => tenants.map((t) => gw.sim.openConnectionCount(t.phone.number));
  const allConnectedOnce = () =>
    eventually(() => (connectionsPerTenant().every((n) => n === 1) ? true : undefined), {
      timeoutMs: 20_000,
      message: 'every tenant connected exactly once',
    });

  /** A message each way for every tenant; throws if any is not decrypted. */
  async function exchange(round: string) {
    for (const { client, tenantId, phone } of tenants) {
      const sent = await client.post('/send', { phone: contact.number, message: `${round} to contact` });
      expect(sent.status).toBe(202);
      const got = await contact.waitForMessage((m) => m.id === sent.body.data.messageId, 30_000);
      expect(got.text).toBe(`${round} to contact`);
      const id = await contact.sendText(phone.jid, `${round} from contact`);
      const stored = await eventually(async () => {
        const res = await client.get(`/messages/${id}`);
        return res.status === 200 ? res.body.data : undefined;
      });
      expect(stored).toMatchObject({ direction: 'inbound', kind: 'text', text: `${round} from contact` });
      await waitForStatus(client, tenantId, 'connected');
    }
    expect(contact.decryptionFailures()).toEqual([]);
  }

  it('a second host takes a fair share of shards; every tenant stays connected exactly once', async () => {
    const [a] = gw.hosts;
    const b = await gw.startHost('own-b');
    const half = gw.config.shardCount / 2;
    // Host a learns of each steal at its next renew.
    await eventually(
      () => (b.heldShards().length === half && a?.heldShards().length === half ? true : undefined),
      {
        timeoutMs: 20_000,
        message: 'each host holds half the shards',
      },
    );
    expect([...(a?.heldShards() ?? []), ...b.heldShards()].sort()).toEqual([0, 1, 2, 3]);
    await allConnectedOnce();
    await exchange('balanced');
  }, 60_000);

  it('a host that dies without releasing its leases is replaced within the lease time', async () => {
    const [a, b] = gw.hosts;
    if (!a || !b) throw new Error('two hosts expected');
    const orphaned = a.heldShards();
    const diedAt = Date.now();
    await a.stop({ release: false });
    await eventually(() => (b.heldShards().length === gw.config.shardCount ? true : undefined), {
      timeoutMs: 20_000,
      message: 'host b holds every shard',
    });
    const takeoverMs = Date.now() - diedAt;
    expect(orphaned.length).toBeGreaterThan(0);
    expect(takeoverMs).toBeLessThan(
      gw.config.host.leaseDurationMs + 4 * gw.config.host.scanIntervalMs + 2000,
    );
    await allConnectedOnce();
    await exchange('after takeover');
  }, 60_000);

  it('restarting the socket host three times reconnects without a QR and loses no message', async () => {
    for (let round = 1; round <= 3; round++) {
      await Promise.all(gw.hosts.map((h) => h.stop()));
      gw.hosts.length = 0;
      await eventually(() => (connectionsPerTenant().every((n) => n === 0) ? true : undefined), {
        message: 'every connection closed',
      });
      // A message arrives while no host is up: WhatsApp keeps it for the device.
      const offline = await contact.sendText(tenants[0]?.phone.jid ?? '', `while down ${round}`);
      await gw.startHost(`own-restart-${round}`);
      await allConnectedOnce();
      const { client } = tenants[0] as LinkedTenant;
      await eventually(
        async () => ((await client.get(`/messages/${offline}`)).status === 200 ? true : undefined),
        {
          timeoutMs: 30_000,
          message: 'the offline message',
        },
      );
      await exchange(`restart ${round}`);
    }
    for (const { client, tenantId } of tenants) {
      const session = (await client.get(`/sessions/${tenantId}/status`)).body.data;
      expect(session.status).toBe('connected');
      expect(session.qr ?? null).toBeNull();
    }
  }, 120_000);

  it('a former owner holding an old epoch cannot write auth state', async () => {
    const { tenantId } = tenants[0] as LinkedTenant;
    const { dynamo, s3 } = createAwsClients(gw.config);
    const tables = { authState: tableName(gw.config, 'authState'), leases: tableName(gw.config, 'leases') };
    const repo = createAuthStateRepository({
      dynamo,
      s3,
      tableName: tables.authState,
      bucketName: gw.config.bucketName,
    });
    const [host] = gw.hosts;
    const leaseKey = leaseKeyOf(shardOf(tenantId, gw.config.shardCount));
    // The current owner's fence, then a newer generation taken under the same lease (a takeover).
    const current = await acquireFence(dynamo, tables, { tenantId, owner: host?.hostId ?? '', leaseKey });
    const stale = await repo.open(current);
    await acquireFence(dynamo, tables, { tenantId, owner: host?.hostId ?? '', leaseKey });
    await expect(stale.state.keys.set({ 'pre-key': { '999999': null } })).rejects.toBeInstanceOf(
      FenceLostError,
    );
    await expect(stale.saveCreds()).rejects.toBeInstanceOf(FenceLostError);
    // And a host that does not hold the lease cannot raise the generation at all.
    await expect(
      acquireFence(dynamo, tables, { tenantId, owner: 'intruder', leaseKey }),
    ).rejects.toBeInstanceOf(FenceLostError);
  });

  it('a send queued while no host runs is delivered after the restart, not failed', async () => {
    await Promise.all(gw.hosts.map((h) => h.stop()));
    gw.hosts.length = 0;
    const { client } = tenants[1] as LinkedTenant;
    const res = await client.post('/send', { phone: contact.number, message: 'queued while down' });
    expect(res.status).toBe(202);
    await gw.startHost('own-after-queue');
    const got = await contact.waitForMessage((m) => m.id === res.body.data.messageId, 30_000);
    expect(got.text).toBe('queued while down');
    const status = await eventually(async () => {
      const row = (await client.get(`/messages/${res.body.data.messageId}`)).body.data;
      return row.status === 'queued' ? undefined : row.status;
    });
    expect(['sent', 'delivered', 'read']).toContain(status);
  }, 60_000);
});
