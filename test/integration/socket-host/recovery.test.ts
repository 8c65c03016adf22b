import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/aws/clients.js';
import type { EventType } from '../../../shared/events.js';
import { tableName } from '../../../shared/stores/table-names.js';
import { createAuthStateRepository } from '../../../socket-host/auth-state/dynamo-auth-state.js';
import { createSnapshotStore } from '../../../socket-host/auth-state/snapshots.js';
import type { Phone } from '../../simulator/index.js';
import type { ApiClient } from '../../support/api-client.js';
import { eventually } from '../../support/env.js';
import {
  linkByQr,
  recordedEvents,
  startTestGateway,
  type TestGateway,
  waitForStatus,
} from '../../support/gateway.js';

/** How each disconnect reason is handled (architecture §7, §12), with real Baileys against the simulator. */
describe('reconnect policy, end to end', () => {
  let gw: TestGateway;
  let repo: ReturnType<typeof createAuthStateRepository>;
  let snapshots: ReturnType<typeof createSnapshotStore>;

  beforeAll(async () => {
    gw = await startTestGateway('recover');
    await gw.startHost();
    const { dynamo, s3 } = createAwsClients(gw.config);
    repo = createAuthStateRepository({
      dynamo,
      s3,
      tableName: tableName(gw.config, 'authState'),
      bucketName: gw.config.bucketName,
    });
    snapshots = createSnapshotStore({ s3, bucketName: gw.config.bucketName, authState: repo });
  });
  afterAll(() => gw.close());

  async function linkedTenant(): Promise<{ client: ApiClient; tenantId: string; phone: Phone }> {
    const { client, tenantId } = await gw.api.createTenant();
    const phone = gw.sim.createPhone();
    await linkByQr(client, tenantId, phone);
    return { client, tenantId, phone };
  }

  /** Opens of the phone's devices at the simulator from now on. */
  function countOpens(phone: Phone) {
    let opens = 0;
    gw.sim.events.on('connection-open', ({ deviceJid }) => {
      if (deviceJid.startsWith(`${phone.number}:`)) opens += 1;
    });
    return () => opens;
  }

  it('a transient fault (503) reconnects with backoff and recovers without a QR', async () => {
    const { client, tenantId, phone } = await linkedTenant();
    expect(gw.sim.injectStreamError(phone.number, 503)).toBe(1);
    await waitForStatus(client, tenantId, 'reconnecting');
    const session = await waitForStatus(client, tenantId, 'connected');
    expect(session.lastDisconnect).toMatchObject({ code: 503, reason: 'unavailableService' });
    const metrics = (await client.get(`/sessions/${tenantId}/metrics`)).body.data;
    expect(metrics.reconnects).toBe(1);
    expect(gw.sim.openConnectionCount(phone.number)).toBe(1);
  });

  it('exhausted attempts end in `failed`, with a session.status event', async () => {
    const { client, tenantId, phone } = await linkedTenant();
    // Every new login of this account is hit with 503 at once.
    gw.sim.events.on('connection-open', ({ connectionId, deviceJid }) => {
      if (deviceJid.startsWith(`${phone.number}:`)) gw.sim.injectStreamError(connectionId, 503);
    });
    gw.sim.injectStreamError(phone.number, 503);
    const session = await waitForStatus(client, tenantId, 'failed');
    expect(session.lastDisconnect.reason).toBe('unavailableService_retries_exhausted');
    const metrics = (await client.get(`/sessions/${tenantId}/metrics`)).body.data;
    expect(metrics.reconnects).toBe(gw.config.reconnect.maxAttempts);
    const events = await eventsOf(tenantId, 'session.status');
    expect(events.map((e) => e.status)).toContain('failed');
  });

  it('440 (replaced) stops the session and does not reconnect', async () => {
    const { client, tenantId, phone } = await linkedTenant();
    const opens = countOpens(phone);
    gw.sim.injectStreamError(phone.number, 440);
    const session = await waitForStatus(client, tenantId, 'stopped');
    expect(session.lastDisconnect).toMatchObject({ code: 440, reason: 'connectionReplaced' });
    // Absence can only be shown over a window: ten times the reconnect delay.
    await new Promise((r) => setTimeout(r, 10 * gw.config.reconnect.baseDelayMs + 500));
    expect(opens()).toBe(0);
    expect(gw.sim.openConnectionCount(phone.number)).toBe(0);
  });

  it('401 (logged out from the phone) snapshots, then erases the auth state and reports logged_out', async () => {
    const { client, tenantId, phone } = await linkedTenant();
    expect((await repo.countByType(tenantId)).creds).toBe(1);
    gw.sim.injectStreamError(phone.number, 401);
    const session = await waitForStatus(client, tenantId, 'logged_out');
    expect(session.lastDisconnect).toMatchObject({ code: 401, reason: 'loggedOut' });
    expect(await repo.countByType(tenantId)).toEqual({});
    const saved = await snapshots.list(tenantId);
    expect(saved.at(-1)).toMatch(/before-erase-loggedOut\.json$/);
  });

  it('a 401 in the first login after pairing is retried once, not taken as a logout', async () => {
    const { client, tenantId } = await gw.api.createTenant();
    const phone = gw.sim.createPhone();
    gw.sim.failNextLogins(phone.number, 1);
    await linkByQr(client, tenantId, phone);
    expect((await repo.countByType(tenantId)).creds).toBe(1);
    expect(gw.sim.openConnectionCount(phone.number)).toBe(1);
  });

  it('DELETE /sessions/{id} logs out: the device is unlinked and the auth state erased', async () => {
    const { client, tenantId, phone } = await linkedTenant();
    expect((await client.delete(`/sessions/${tenantId}`)).status).toBe(202);
    await waitForStatus(client, tenantId, 'logged_out');
    expect(await repo.countByType(tenantId)).toEqual({});
    expect(phone.devices.size).toBe(0);
  });

  /** The tenant's recorded events of one type (the webhook-events table keeps every event). */
  function eventsOf<T extends EventType>(tenantId: string, type: T) {
    return eventually(async () => {
      const found = await recordedEvents(gw, tenantId, type);
      return found.length ? found : undefined;
    });
  }
});
