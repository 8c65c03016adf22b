import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway, waitForStatus } from '../../support/gateway.js';

describe('unanswered QR codes', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway('qr', { QR_CODE_TTL: '1000', MAX_QR_ATTEMPTS: '2' });
    await gw.startHost();
  });
  afterAll(() => gw.close());

  it('stop the session after MAX_QR_ATTEMPTS codes and suggest a pairing code', async () => {
    const { client, tenantId } = await gw.api.createTenant();
    await client.post(`/sessions/${tenantId}/initialize`, { method: 'qr' });
    const session = await waitForStatus(client, tenantId, 'stopped', 15_000);
    expect(session.lastDisconnect.reason).toBe('qr_attempts_exhausted');
    const qr = await client.get(`/sessions/${tenantId}/qr`);
    expect(qr.status).toBe(409);
    expect(gw.sim.connections().filter((c) => c.state !== 'closed')).toHaveLength(0);
  });
});
