import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/aws/clients.js';
import { shardOf } from '../../../shared/shard.js';
import type { ApiClient } from '../../support/api-client.js';
import { eventually } from '../../support/env.js';
import { startTestGateway, type TestGateway, waitForStatus } from '../../support/gateway.js';
import { type HostProcess, spawnSocketHost } from '../../support/host-process.js';
import { commandQueueName, inFlightCount } from '../../support/resources.js';

/**
 * A host killed with SIGKILL while it runs a command: the command and the tenant's later ones
 * (held back by FIFO behind it) must run on the next owner once the lease is taken over, not
 * after a long visibility timeout.
 */
describe('commands of a crashed socket host', () => {
  let gw: TestGateway;
  let crashed: HostProcess | undefined;

  beforeAll(async () => {
    gw = await startTestGateway('crash');
  });
  afterAll(async () => {
    await crashed?.kill();
    await gw.close();
  });

  const qrOf = (client: ApiClient, tenantId: string) =>
    eventually(async () => {
      const res = await client.get(`/sessions/${tenantId}/qr`);
      return res.status === 200 ? (res.body.data.qr as string) : undefined;
    });

  it('a command running when its host died, and the next one, complete on the new owner within seconds', async () => {
    crashed = await spawnSocketHost('crash-a', gw.overrides);
    const { sqs } = createAwsClients(gw.config);
    const { client, tenantId } = await gw.api.createTenant();
    const queue = commandQueueName(gw.config, shardOf(tenantId, gw.config.shardCount));
    const phone = gw.sim.createPhone();
    const contact = gw.sim.createPhone();
    expect((await client.post(`/sessions/${tenantId}/initialize`, { method: 'qr' })).status).toBe(202);
    const firstQr = await qrOf(client, tenantId);

    // Nobody scans yet: host a takes the first send and waits for the session to connect.
    const first = await client.post('/send', { phone: contact.number, message: 'first after crash' });
    const second = await client.post('/send', { phone: contact.number, message: 'second after crash' });
    expect([first.status, second.status]).toEqual([202, 202]);
    await eventually(async () => ((await inFlightCount(sqs, queue)) > 0 ? true : undefined), {
      message: 'host a running the first send',
    });

    await crashed.kill();
    const killedAt = Date.now();
    await gw.startHost('crash-b');
    // The new owner resumes the session and shows a QR of its own; the phone scans that one.
    const qr = await eventually(async () => {
      const current = await qrOf(client, tenantId);
      return current !== firstQr ? current : undefined;
    });
    await phone.scanQr(qr);
    await waitForStatus(client, tenantId, 'connected');

    // Before: the dead host's receive hid the first send for the queue's 60 s visibility timeout,
    // and FIFO held the second behind it.
    const deadline = killedAt + 20_000;
    const got = await contact.waitForMessage(
      (m) => m.id === first.body.data.messageId,
      Math.max(deadline - Date.now(), 1),
    );
    expect(got.text).toBe('first after crash');
    const next = await contact.waitForMessage(
      (m) => m.id === second.body.data.messageId,
      Math.max(deadline - Date.now(), 1),
    );
    expect(next.text).toBe('second after crash');
  }, 90_000);
});
