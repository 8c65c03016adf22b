import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/aws/clients.js';
import { waitUntil } from '../../simulator/wait.js';
import type { ApiClient } from '../../support/api-client.js';
import { eventually } from '../../support/env.js';
import { linkByQr, recordedEvents, startTestGateway, type TestGateway } from '../../support/gateway.js';

interface Input {
  Key?: { messageId?: unknown };
  ExpressionAttributeValues?: Record<string, unknown>;
}

/**
 * Receipts that overtake the host's own `sent` write, through real Baileys and the simulator:
 * every step reached shows in the history and as an event, in order.
 */
describe('statuses arriving out of order from WhatsApp', () => {
  let gw: TestGateway;
  let client: ApiClient;
  let tenantId: string;
  /** While set, a `sent` write waits until the same message's `delivered` write is done. */
  let holdSent = false;
  const delivered = new Set<string>();

  beforeAll(async () => {
    gw = await startTestGateway('order-sim');
    const clients = createAwsClients(gw.config);
    // The phone's receipt beats the host's `sent` write: its write is held until delivered is in.
    clients.dynamo.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as Input;
        const messageId = String(input.Key?.messageId);
        const status = input.ExpressionAttributeValues?.[':status'];
        if (status === 'sent' && holdSent) {
          await waitUntil(() => delivered.has(messageId), 20_000, 'the delivered write');
        }
        const result = await next(args);
        if (status === 'delivered') delivered.add(messageId);
        return result;
      },
      { step: 'initialize', name: 'sentWriteAfterDelivered' },
    );
    await gw.startHost(undefined, { clients });
    ({ client, tenantId } = await gw.api.createTenant());
    await linkByQr(client, tenantId, gw.sim.createPhone());
  });
  afterAll(() => gw.close());

  it('a phone that acks before the host records sent: sent is in the history and its event comes first', async () => {
    const quick = gw.sim.createPhone(); // a delivery receipt the moment it decrypts
    holdSent = true;
    const res = await client.post('/send', { phone: quick.number, message: 'acked fast' });
    const messageId = res.body.data.messageId as string;
    await quick.waitForMessage((m) => m.id === messageId, 30_000);
    const row = await eventually(async () => {
      const data = (await client.get(`/messages/${messageId}`)).body.data;
      return data.status === 'delivered' ? data : undefined;
    });
    expect(row.statusHistory.map((h: { status: string }) => h.status)).toEqual([
      'queued',
      'sent',
      'delivered',
    ]);
    const times = row.statusHistory.map((h: { at: string }) => h.at);
    expect([...times].sort()).toEqual(times);
    expect(
      await eventually(async () => {
        const found = (await recordedEvents(gw, tenantId, 'message.status'))
          .filter((e) => e.messageId === messageId)
          .map((e) => e.status);
        return found.length >= 2 ? found : undefined;
      }),
    ).toEqual(['sent', 'delivered']);
  });

  it('a read receipt with no delivery receipt before it implies delivered', async () => {
    holdSent = false;
    const reader = gw.sim.createPhone({ autoDeliveryReceipts: false });
    const res = await client.post('/send', { phone: reader.number, message: 'read at once' });
    const messageId = res.body.data.messageId as string;
    await reader.waitForMessage((m) => m.id === messageId, 30_000);
    await eventually(async () =>
      (await client.get(`/messages/${messageId}`)).body.data.status === 'sent' ? true : undefined,
    );
    await reader.sendReceipt(messageId, 'read');
    const row = await eventually(async () => {
      const data = (await client.get(`/messages/${messageId}`)).body.data;
      return data.status === 'read' ? data : undefined;
    });
    expect(row.statusHistory.map((h: { status: string }) => h.status)).toEqual([
      'queued',
      'sent',
      'delivered',
      'read',
    ]);
    // Events go out after the row is written: wait for the last of them.
    expect(
      await eventually(async () => {
        const found = (await recordedEvents(gw, tenantId, 'message.status'))
          .filter((e) => e.messageId === messageId)
          .map((e) => e.status);
        return found.length >= 3 ? found : undefined;
      }),
    ).toEqual(['sent', 'delivered', 'read']);
  });
});
