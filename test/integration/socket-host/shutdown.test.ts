import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/aws/clients.js';
import { shardOf } from '../../../shared/shard.js';
import { tableName } from '../../../shared/stores/table-names.js';
import { acquireFence } from '../../../socket-host/auth-state/fence.js';
import type { SocketHost } from '../../../socket-host/host.js';
import { leaseKeyOf } from '../../../socket-host/leases/lease-manager.js';
import type { ApiClient } from '../../support/api-client.js';
import { eventually, within } from '../../support/env.js';
import { linkByQr, startTestGateway, type TestGateway } from '../../support/gateway.js';
import { commandQueueName, inFlightCount } from '../../support/resources.js';

/**
 * A graceful stop (SIGTERM in a rolling deploy) hands everything over at once: commands back to
 * the queue, sockets closed, leases released, so the next host takes over without waiting for
 * expiry and no message is failed on the way.
 */
describe('a graceful socket host stop', () => {
  let gw: TestGateway;
  /** A stop that ends well inside a lease; before, a refused write or a waiting send held it ~20–30 s. */
  const STOP_DEADLINE_MS = 8_000;

  beforeAll(async () => {
    gw = await startTestGateway('shut');
  });
  beforeEach(async () => {
    await Promise.all(gw.hosts.map((h) => h.stop()));
    gw.hosts.length = 0;
  });
  afterAll(() => gw.close());

  const statusOf = async (client: ApiClient, messageId: string) =>
    (await client.get(`/messages/${messageId}`)).body.data as {
      status: string;
      statusHistory: Array<{ status: string }>;
    };

  /** The next host finds every lease free: it takes them all while starting, not after an expiry. */
  async function nextHostTakesOverAtOnce(stopped: SocketHost) {
    expect(stopped.stopReport()).toMatchObject({ released: [0, 1, 2, 3], notReleased: [] });
    const next = await gw.startHost();
    expect(next.heldShards()).toEqual([0, 1, 2, 3]);
    return next;
  }

  it('finishes within seconds while a tenant’s fenced write is refused, and fails no message', async () => {
    const a = await gw.startHost('shut-a');
    const moved = await gw.api.createTenant();
    const other = await gw.api.createTenant();
    const movedPhone = gw.sim.createPhone();
    await linkByQr(moved.client, moved.tenantId, movedPhone);
    await linkByQr(other.client, other.tenantId, gw.sim.createPhone());

    // A newer generation of the tenant's fence, as a takeover raises it: from now on every
    // auth-state write of host a's session for it is refused.
    const { dynamo } = createAwsClients(gw.config);
    await acquireFence(
      dynamo,
      { authState: tableName(gw.config, 'authState'), leases: tableName(gw.config, 'leases') },
      {
        tenantId: moved.tenantId,
        owner: a.hostId,
        leaseKey: leaseKeyOf(shardOf(moved.tenantId, gw.config.shardCount)),
      },
    );
    // A first message to a new contact commits new Signal keys right after it is on the wire.
    const contact = gw.sim.createPhone();
    const refused = await moved.client.post('/send', { phone: contact.number, message: 'refused commit' });
    await contact.waitForMessage((m) => m.id === refused.body.data.messageId, 20_000);

    await within(a.stop(), STOP_DEADLINE_MS, 'the stop');
    expect(gw.sim.openConnectionCount(movedPhone.number)).toBe(0);
    // Sent while no host runs the shards: queued, not failed.
    const later = await Promise.all(
      [1, 2, 3].map((n) => other.client.post('/send', { phone: contact.number, message: `after stop ${n}` })),
    );
    await nextHostTakesOverAtOnce(a);

    const sends = [
      { client: moved.client, id: refused.body.data.messageId as string },
      ...later.map((res) => ({ client: other.client, id: res.body.data.messageId as string })),
    ];
    for (const { client, id } of sends) {
      await contact.waitForMessage((m) => m.id === id, 20_000);
      const row = await eventually(async () => {
        const data = await statusOf(client, id);
        return data.status === 'queued' ? undefined : data;
      });
      expect(row.statusHistory.map((h) => h.status)).not.toContain('failed');
      expect(['sent', 'delivered', 'read']).toContain(row.status);
    }
  }, 90_000);

  it('hands back a command still running at the stop; the next host runs it at once', async () => {
    const a = await gw.startHost('shut-c');
    const { client, tenantId } = await gw.api.createTenant();
    const queue = commandQueueName(gw.config, shardOf(tenantId, gw.config.shardCount));
    const { sqs } = createAwsClients(gw.config);
    expect((await client.post(`/sessions/${tenantId}/initialize`, { method: 'qr' })).status).toBe(202);
    const qrOf = () =>
      eventually(async () => {
        const got = await client.get(`/sessions/${tenantId}/qr`);
        return got.status === 200 ? (got.body.data.qr as string) : undefined;
      });
    const firstQr = await qrOf();
    const contact = gw.sim.createPhone();
    // Nobody scans: host a's send waits for the session to connect.
    const res = await client.post('/send', { phone: contact.number, message: 'waited through a stop' });
    const messageId = res.body.data.messageId as string;
    await eventually(async () => ((await inFlightCount(sqs, queue)) > 0 ? true : undefined), {
      message: 'host a running the send',
    });

    await within(a.stop(), STOP_DEADLINE_MS, 'the stop');
    expect(a.stopReport()).toMatchObject({ commandsHandedBack: 1, commandsStillRunning: 1 });
    // Handed back, not left hidden in flight for the next owner to wait out.
    expect(await inFlightCount(sqs, queue)).toBe(0);
    await nextHostTakesOverAtOnce(a);

    // The next host resumes the session with a QR of its own.
    const qr = await eventually(async () => {
      const current = await qrOf();
      return current !== firstQr ? current : undefined;
    });
    await gw.sim.createPhone().scanQr(qr);
    const got = await contact.waitForMessage((m) => m.id === messageId, 20_000);
    expect(got.text).toBe('waited through a stop');
    expect((await statusOf(client, messageId)).statusHistory.map((h) => h.status)).not.toContain('failed');
  }, 90_000);
});
