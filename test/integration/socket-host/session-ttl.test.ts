import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/aws/clients.js';
import { tableName } from '../../../shared/stores/table-names.js';
import { createAuthStateRepository } from '../../../socket-host/auth-state/dynamo-auth-state.js';
import type { ApiClient } from '../../support/api-client.js';
import { eventually } from '../../support/env.js';
import { recordedEvents, startTestGateway, type TestGateway, waitForStatus } from '../../support/gateway.js';

/**
 * SESSION_TTL: a session that has not linked a phone within that long of its start is stopped,
 * its partial auth state erased, and a `session.status` event says why (`link_timeout`).
 */
describe('a session that never finishes linking', () => {
  let gw: TestGateway;
  let repo: ReturnType<typeof createAuthStateRepository>;

  beforeAll(async () => {
    // QR codes last longer than the TTL, so it is the TTL that ends the session, not MAX_QR_ATTEMPTS.
    gw = await startTestGateway('ttl', { SESSION_TTL: '4000', QR_CODE_TTL: '60000' });
    await gw.startHost();
    const { dynamo, s3 } = createAwsClients(gw.config);
    repo = createAuthStateRepository({
      dynamo,
      s3,
      tableName: tableName(gw.config, 'authState'),
      bucketName: gw.config.bucketName,
    });
  });
  afterAll(() => gw.close());

  async function expectGivenUp(client: ApiClient, tenantId: string) {
    const session = await waitForStatus(client, tenantId, 'stopped', 20_000);
    expect(session.lastDisconnect.reason).toBe('link_timeout');
    const events = await eventually(async () => {
      const found = (await recordedEvents(gw, tenantId, 'session.status')).filter(
        (e) => e.status === 'stopped',
      );
      return found.length ? found : undefined;
    });
    expect(events.at(-1)?.reason).toMatch(/^link_timeout: /);
    expect(await repo.countByType(tenantId)).toEqual({});
    expect((await client.get(`/sessions/${tenantId}/qr`)).status).toBe(409);
  }

  it('left at a pairing code nobody enters: stopped, its partial creds erased', async () => {
    const { client, tenantId } = await gw.api.createTenant();
    const phone = gw.sim.createPhone();
    const res = await client.post(`/sessions/${tenantId}/pairing-code`, { phoneNumber: phone.number });
    expect(res.status).toBe(200);
    // Asking for a code stores creds naming the number: a partial link worth erasing.
    await eventually(async () => ((await repo.countByType(tenantId)).creds === 1 ? true : undefined));
    await expectGivenUp(client, tenantId);
    expect(gw.sim.connections().filter((c) => c.state !== 'closed' && !c.phoneNumber)).toHaveLength(0);
  });

  it('left at a QR code nobody scans: stopped with the reason, no auth state left', async () => {
    const { client, tenantId } = await gw.api.createTenant();
    expect((await client.post(`/sessions/${tenantId}/initialize`, { method: 'qr' })).status).toBe(202);
    await waitForStatus(client, tenantId, 'qr');
    await expectGivenUp(client, tenantId);
  });
});
