import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardOf } from '../../../shared/shard.js';
import type { ApiClient } from '../../support/api-client.js';
import { eventually } from '../../support/env.js';
import { startTestGateway, type TestGateway, waitForStatus } from '../../support/gateway.js';

/**
 * A tenant that never started a session still counts what happens to its sends, and the row those
 * counters live in is not taken for a session by any reader.
 */

let gw: TestGateway;
let tenant: { tenantId: string; client: ApiClient };

beforeAll(async () => {
  gw = await startTestGateway('counters');
  await gw.startHost();
  tenant = await gw.api.createTenant();
});
afterAll(() => gw?.close());

describe('counters without a session', () => {
  it('counts a send that failed for want of a session, and still shows no session', async () => {
    const { tenantId, client } = tenant;
    const sent = await client.post('/send', { phone: '79001234567', message: 'nobody home' });
    expect(sent.status).toBe(202);
    await eventually(
      async () => {
        const res = await client.get(`/messages/${sent.body.data.messageId}`);
        return res.body.data.status === 'failed' ? res : undefined;
      },
      { message: 'the send to fail' },
    );

    const metrics = await eventually(async () => {
      const res = await client.get(`/sessions/${tenantId}/metrics`);
      return res.body.data.messagesFailed === 1 ? res : undefined;
    });
    expect(metrics.body.data).toMatchObject({ status: 'stopped', connected: false, messagesSent: 0 });

    const status = await client.get(`/sessions/${tenantId}/status`);
    expect(status.body.data).toMatchObject({ status: 'stopped', desired: 'stopped', epoch: 0 });

    const diagnosis = await client.post('/diagnose', {});
    expect(diagnosis.body.data.session).toMatchObject({ exists: false, status: 'stopped' });
    expect(diagnosis.body.data.issues).toContain('1 of 1 sends failed.');

    const health = await client.get('/health');
    expect(health.body.data.totalSessions).toBe(0);
    const listed = await gw.api.admin.get('/sessions');
    expect(listed.body.data[tenantId]).toBeUndefined();
    expect(
      Object.values(listed.body.data).every((s) => typeof (s as { status: unknown }).status === 'string'),
    ).toBe(true);

    const { sessions, config } = gw.api.deps;
    expect(await sessions.find(tenantId)).toBeUndefined();
    const shard = await sessions.listByShard(shardOf(tenantId, config.shardCount));
    expect(shard.map((r) => r.tenantId)).not.toContain(tenantId);
    // A socket host's fenced write finds no session to write to, as before any row existed.
    expect(await sessions.updateStatus(tenantId, { status: 'connected', epoch: 1 })).toEqual({
      written: false,
      reason: 'stale-epoch',
    });
  });

  it('keeps the counters when the session is then created', async () => {
    const { tenantId, client } = tenant;
    expect((await client.post(`/sessions/${tenantId}/initialize`)).status).toBe(202);
    await waitForStatus(client, tenantId, 'qr');
    const metrics = await client.get(`/sessions/${tenantId}/metrics`);
    expect(metrics.body.data).toMatchObject({ status: 'qr', messagesFailed: 1 });
    const diagnosis = await client.post('/diagnose', {});
    expect(diagnosis.body.data.session).toMatchObject({ exists: true, status: 'qr' });
  });
});
