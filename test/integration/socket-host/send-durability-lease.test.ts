import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/aws/clients.js';
import { tableName } from '../../../shared/stores/table-names.js';
import type { Phone } from '../../simulator/index.js';
import { waitUntil } from '../../simulator/wait.js';
import type { ApiClient } from '../../support/api-client.js';
import { eventually } from '../../support/env.js';
import { linkByQr, startTestGateway, type TestGateway } from '../../support/gateway.js';

interface Input {
  TableName?: string;
  Key?: { messageId?: unknown };
  UpdateExpression?: string;
  ExpressionAttributeValues?: Record<string, unknown>;
}

/**
 * Host clients that can stand for a host frozen past its lease: renewals hang (the lease manager
 * neither renews nor notices), and a send's intent write is held until the last renewal is older
 * than half a lease on the monotonic clock, so the send reaches the wire with its lease stale.
 */
function freezableClients(gw: TestGateway) {
  const leases = tableName(gw.config, 'leases');
  const halfLeaseMs = gw.config.host.leaseDurationMs / 2;
  let renewals: { promise: Promise<void>; release: () => void } | undefined;
  let lastRenewedAt = performance.now();
  let holdIntents = false;
  const cancelled: string[] = [];
  const clients = createAwsClients(gw.config);
  clients.dynamo.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as Input;
      if (input.TableName === leases && input.UpdateExpression === 'SET #counter = :next') {
        await renewals?.promise;
        const result = await next(args);
        lastRenewedAt = performance.now();
        return result;
      }
      if (holdIntents && input.ExpressionAttributeValues?.[':attempt']) {
        // A margin over half a lease: the host takes its own renew time a little after ours.
        await waitUntil(() => performance.now() - lastRenewedAt > halfLeaseMs + 250, 10_000, 'a stale lease');
      }
      if (input.UpdateExpression === 'REMOVE sendAttempt') cancelled.push(String(input.Key?.messageId));
      return next(args);
    },
    { step: 'initialize', name: 'freezeLease' },
  );
  return {
    clients,
    cancelled,
    freeze() {
      let release = () => {};
      const promise = new Promise<void>((resolve) => {
        release = resolve;
      });
      renewals = { promise, release };
      holdIntents = true;
    },
    thaw() {
      holdIntents = false;
      renewals?.release();
      renewals = undefined;
    },
  };
}

describe('a send when the host’s lease may have lapsed', () => {
  let gw: TestGateway;
  let client: ApiClient;
  let contact: Phone;
  let host: ReturnType<typeof freezableClients>;

  beforeAll(async () => {
    gw = await startTestGateway('lease-check');
    host = freezableClients(gw);
    await gw.startHost('lease-check-a', { clients: host.clients });
    const tenant = await gw.api.createTenant();
    client = tenant.client;
    await linkByQr(client, tenant.tenantId, gw.sim.createPhone());
    contact = gw.sim.createPhone();
  });
  afterAll(async () => {
    host.thaw();
    await gw.close();
  });

  it('is refused right before the wire, stays queued, and is sent once the lease is renewed', async () => {
    host.freeze();
    const res = await client.post('/send', { phone: contact.number, message: 'not while frozen' });
    const messageId = res.body.data.messageId as string;

    // Before: nothing looked at the lease after the awaits, and the message went on the wire.
    await eventually(() => (host.cancelled.includes(messageId) ? true : undefined), {
      timeoutMs: 15_000,
      message: 'the send to be refused',
    });
    expect(contact.received().filter((m) => m.id === messageId)).toHaveLength(0);
    const refused = (await client.get(`/messages/${messageId}`)).body.data;
    expect(refused.status).toBe('queued');

    host.thaw();
    await contact.waitForMessage((m) => m.id === messageId, 30_000);
    const row = await eventually(async () => {
      const data = (await client.get(`/messages/${messageId}`)).body.data;
      return data.status === 'delivered' ? data : undefined;
    });
    expect(row.statusHistory.map((h: { status: string }) => h.status)).toEqual([
      'queued',
      'sent',
      'delivered',
    ]);
    expect(row.possibleDuplicate).toBeUndefined();
    expect(contact.received().filter((m) => m.id === messageId)).toHaveLength(1);
  }, 60_000);
});
