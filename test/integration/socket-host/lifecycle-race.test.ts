import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type AwsClients, createAwsClients } from '../../../shared/aws/clients.js';
import { shardOf } from '../../../shared/shard.js';
import { tableName } from '../../../shared/stores/table-names.js';
import { acquireFence } from '../../../socket-host/auth-state/fence.js';
import { leaseKeyOf } from '../../../socket-host/leases/lease-manager.js';
import type { Phone, Simulator } from '../../simulator/index.js';
import type { ApiClient } from '../../support/api-client.js';
import { eventually } from '../../support/env.js';
import { linkByQr, startTestGateway, type TestGateway, waitForStatus } from '../../support/gateway.js';

/**
 * Holds the answer to the next read of one tenant's creds (the read `connect()` awaits before it
 * opens a socket) until released. DynamoDB Local answers at once; only a held answer opens the window.
 */
function holdCredsReads(clients: AwsClients, authTable: string) {
  let armedFor: string | undefined;
  let held = false;
  let release = () => {};
  clients.dynamo.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as {
        RequestItems?: Record<string, { Keys?: Array<{ tenantId?: string; key?: string }> }>;
      };
      const keys = input.RequestItems?.[authTable]?.Keys ?? [];
      if (!armedFor || !keys.some((k) => k.tenantId === armedFor && k.key === 'creds')) return next(args);
      armedFor = undefined;
      // Held once answered: after the release only in-process work remains before a socket opens.
      const answer = await next(args);
      held = true;
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return answer;
    },
    { step: 'initialize', name: 'holdCredsRead' },
  );
  return {
    arm(tenantId: string) {
      armedFor = tenantId;
      held = false;
    },
    held: () => held,
    release: () => release(),
  };
}

/**
 * The connections the simulator accepts from now on, up to a probe opened after `act`: a socket
 * the host opens in response to `act` connects before the probe does, so it is in the list.
 */
async function connectionsOpenedBy(sim: Simulator, act: () => void) {
  const before = Math.max(0, ...sim.connections().map((c) => c.id));
  act();
  // Everything `act` set off synchronously (a new socket's TCP connect included) has started.
  await new Promise((resolve) => setImmediate(resolve));
  const probe = new WebSocket(sim.url);
  await new Promise((resolve, reject) => {
    probe.once('open', resolve);
    probe.once('error', reject);
  });
  const opened = sim.connections().filter((c) => c.id > before);
  probe.terminate();
  // The probe is the last one accepted; anything before it is the host's.
  return opened.slice(0, -1);
}

describe('a stop or hand-over while a session connects', () => {
  let gw: TestGateway;
  let gate: ReturnType<typeof holdCredsReads>;

  beforeAll(async () => {
    gw = await startTestGateway('race');
    const clients = createAwsClients(gw.config);
    gate = holdCredsReads(clients, tableName(gw.config, 'authState'));
    await gw.startHost(undefined, { clients });
  });
  afterAll(() => gw.close());

  async function linkedTenant(): Promise<{ client: ApiClient; tenantId: string; phone: Phone }> {
    const { client, tenantId } = await gw.api.createTenant();
    const phone = gw.sim.createPhone();
    await linkByQr(client, tenantId, phone);
    return { client, tenantId, phone };
  }

  const sessionOf = (tenantId: string) => {
    const session = gw.hosts[0]?.sessions().find((s) => s.tenantId === tenantId);
    if (!session) throw new Error(`no session for ${tenantId}`);
    return session;
  };

  /** A dropped connection: the reconnect timer fires and its `connect()` waits on the held read. */
  async function reconnectHeldAtAuthRead(tenantId: string, phone: Phone) {
    gate.arm(tenantId);
    expect(gw.sim.dropConnection(phone.number)).toBe(1);
    await eventually(() => (gate.held() ? true : undefined), { message: 'the reconnect reading creds' });
  }

  it('a stop while connect() reads the auth state opens no socket and ends stopped', async () => {
    const { client, tenantId, phone } = await linkedTenant();
    await reconnectHeldAtAuthRead(tenantId, phone);
    // What the session.stop command does, called while the reconnect is still reading.
    const stopped = sessionOf(tenantId).stop({ logout: false, reason: 'stopped_by_api' });

    const opened = await connectionsOpenedBy(gw.sim, gate.release);
    await stopped;

    expect(opened).toEqual([]);
    expect(gw.sim.openConnectionCount(phone.number)).toBe(0);
    const session = await waitForStatus(client, tenantId, 'stopped');
    expect(session.connected).toBe(false);
  });

  it('a logout whose erase the fence refuses ends this host’s ownership at once', async () => {
    const { tenantId, phone } = await linkedTenant();
    const host = gw.hosts[0];
    // A newer generation of the tenant's fence, as a takeover raises it.
    const { dynamo } = createAwsClients(gw.config);
    await acquireFence(
      dynamo,
      { authState: tableName(gw.config, 'authState'), leases: tableName(gw.config, 'leases') },
      {
        tenantId,
        owner: host?.hostId ?? '',
        leaseKey: leaseKeyOf(shardOf(tenantId, gw.config.shardCount)),
      },
    );
    const session = sessionOf(tenantId);
    const moved = 'Session moved to another socket host';
    // Retryable, so the command runs again at the new owner; not a failure here.
    await expect(session.stop({ logout: true, reason: 'logged_out_by_api' })).rejects.toMatchObject({
      message: moved,
      isRetryable: true,
    });
    // A send waiting for the connection fails at once, retryably, instead of waiting it out.
    await expect(session.waitUntilConnected(15_000)).rejects.toMatchObject({
      message: moved,
      isRetryable: true,
    });
    // The session is done here: a retried command does not run it (or its refused writes) again.
    await expect(session.stop({ logout: true, reason: 'logged_out_by_api' })).rejects.toMatchObject({
      message: moved,
    });
    await expect(session.start({ method: 'qr' })).rejects.toMatchObject({ message: moved });
    expect(session.isActive).toBe(false);
    expect(gw.sim.openConnectionCount(phone.number)).toBe(0);
  });

  it('a hand-over while a reconnect reads the auth state opens no socket', async () => {
    const { tenantId, phone } = await linkedTenant();
    const host = gw.hosts[0];
    if (!host) throw new Error('no host');
    await reconnectHeldAtAuthRead(tenantId, phone);
    // A graceful stop hands every shard over, closing its sessions quietly, while the read waits.
    await host.stop();
    expect(host.stopReport()?.sessionsClosed).toBeGreaterThan(0);

    const opened = await connectionsOpenedBy(gw.sim, gate.release);

    expect(opened).toEqual([]);
    expect(gw.sim.openConnectionCount(phone.number)).toBe(0);
  });
});
