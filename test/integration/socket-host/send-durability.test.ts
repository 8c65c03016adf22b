import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/aws/clients.js';
import type { SocketHost } from '../../../socket-host/host.js';
import type { Phone } from '../../simulator/index.js';
import type { ApiClient } from '../../support/api-client.js';
import { eventually } from '../../support/env.js';
import { linkByQr, recordedEvents, startTestGateway, type TestGateway } from '../../support/gateway.js';

/** A 500 from DynamoDB, as the SDK reports it after its own retries. */
function serviceError(): Error {
  return Object.assign(new Error('We currently do not have sufficient capacity'), {
    name: 'InternalServerError',
    $fault: 'server',
    $metadata: { httpStatusCode: 500 },
  });
}

/** Host clients whose status writes to `status` fail while `failing.has(status)`; DynamoDB Local cannot fail on demand. */
function clientsFailingStatusWrites(gw: TestGateway) {
  const failing = new Set<string>();
  const failed: Array<{ messageId: string; status: string }> = [];
  const clients = createAwsClients(gw.config);
  clients.dynamo.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as {
        Key?: { messageId?: unknown };
        ExpressionAttributeValues?: Record<string, unknown>;
      };
      const status = input.ExpressionAttributeValues?.[':status'];
      if (typeof status === 'string' && failing.has(status)) {
        failed.push({ messageId: String(input.Key?.messageId), status });
        throw serviceError();
      }
      return next(args);
    },
    { step: 'initialize', name: 'failStatusWrites' },
  );
  return { clients, failing, failed };
}

const statuses = (history: Array<{ status: string }>) => history.map((h) => h.status);

interface Crashed {
  messageId: string;
  contact: Phone;
}

/**
 * Sends through a host whose `sent` write fails after WhatsApp took the message and the phone
 * decrypted it, then crashes that host (no hand-back, no release): the send's fate is in doubt.
 */
async function crashAfterTheWire(
  gw: TestGateway,
  client: ApiClient,
  faulty: ReturnType<typeof clientsFailingStatusWrites>,
  host: SocketHost,
  text: string,
): Promise<Crashed> {
  const contact = gw.sim.createPhone({ autoDeliveryReceipts: false });
  faulty.failing.add('sent');
  const res = await client.post('/send', { phone: contact.number, message: text });
  const messageId = res.body.data.messageId as string;
  await contact.waitForMessage((m) => m.id === messageId, 30_000);
  await eventually(() => (faulty.failed.some((f) => f.messageId === messageId) ? true : undefined), {
    message: 'the sent write to fail',
  });
  await host.stop({ release: false });
  expect((await client.get(`/messages/${messageId}`)).body.data.status).toBe('queued');
  return { messageId, contact };
}

describe('a send whose host crashed between WhatsApp’s ack and the sent write', () => {
  let gw: TestGateway;
  let client: ApiClient;
  let tenantId: string;
  let faulty: ReturnType<typeof clientsFailingStatusWrites>;
  let hostA: SocketHost;

  beforeAll(async () => {
    gw = await startTestGateway('durable');
    faulty = clientsFailingStatusWrites(gw);
    hostA = await gw.startHost('durable-a', { clients: faulty.clients });
    ({ client, tenantId } = await gw.api.createTenant());
    await linkByQr(client, tenantId, gw.sim.createPhone());
  });
  afterAll(() => gw.close());

  it('a normal send is not a possible duplicate, in the API or its events', async () => {
    const contact = gw.sim.createPhone();
    const res = await client.post('/send', { phone: contact.number, message: 'just once' });
    const messageId = res.body.data.messageId as string;
    await contact.waitForMessage((m) => m.id === messageId, 30_000);
    const row = await eventually(async () => {
      const data = (await client.get(`/messages/${messageId}`)).body.data;
      return data.status === 'delivered' ? data : undefined;
    });
    expect(row.possibleDuplicate).toBeUndefined();
    expect(statuses(row.statusHistory)).toEqual(['queued', 'sent', 'delivered']);
    const events = await eventually(async () => {
      const found = (await recordedEvents(gw, tenantId, 'message.status')).filter(
        (e) => e.messageId === messageId,
      );
      return found.length === 2 ? found : undefined;
    });
    expect(events.map((e) => [e.status, e.possibleDuplicate])).toEqual([
      ['sent', undefined],
      ['delivered', undefined],
    ]);
    expect(contact.received().filter((m) => m.id === messageId)).toHaveLength(1);
  });

  it('the next owner sends it again with the same id and says it may be a duplicate', async () => {
    const { messageId, contact } = await crashAfterTheWire(gw, client, faulty, hostA, 'in doubt');
    await gw.startHost('durable-b');

    // Before: the row stayed `queued` with nothing saying a send had left; the same id was sent
    // again and nothing told the tenant.
    await eventually(
      () => (contact.received().filter((m) => m.id === messageId).length === 2 ? true : undefined),
      {
        timeoutMs: 30_000,
        message: 'the re-send with the same id',
      },
    );
    const sent = await eventually(async () => {
      const data = (await client.get(`/messages/${messageId}`)).body.data;
      return data.status === 'sent' ? data : undefined;
    });
    expect(sent.possibleDuplicate).toBe(true);
    expect(statuses(sent.statusHistory)).toEqual(['queued', 'sent']);

    await contact.sendReceipt(messageId, 'delivery');
    const delivered = await eventually(async () => {
      const data = (await client.get(`/messages/${messageId}`)).body.data;
      return data.status === 'delivered' ? data : undefined;
    });
    expect(delivered.possibleDuplicate).toBe(true);
    const events = await eventually(async () => {
      const found = (await recordedEvents(gw, tenantId, 'message.status')).filter(
        (e) => e.messageId === messageId,
      );
      return found.length === 2 ? found : undefined;
    });
    expect(events.map((e) => [e.status, e.possibleDuplicate])).toEqual([
      ['sent', true],
      ['delivered', true],
    ]);
  }, 90_000);
});

describe('what a crashed host’s successor reconciles', () => {
  let gw: TestGateway;
  let client: ApiClient;
  let tenantId: string;
  let faulty: ReturnType<typeof clientsFailingStatusWrites>;
  let hostA: SocketHost;

  beforeAll(async () => {
    gw = await startTestGateway('reconcile');
    faulty = clientsFailingStatusWrites(gw);
    hostA = await gw.startHost('reconcile-a', { clients: faulty.clients });
    ({ client, tenantId } = await gw.api.createTenant());
    await linkByQr(client, tenantId, gw.sim.createPhone());
  });
  afterAll(() => gw.close());

  it('a delivery status whose write fails once is written again, not lost', async () => {
    const contact = gw.sim.createPhone({ autoDeliveryReceipts: false });
    const res = await client.post('/send', { phone: contact.number, message: 'receipt retried' });
    const messageId = res.body.data.messageId as string;
    await contact.waitForMessage((m) => m.id === messageId, 30_000);
    await eventually(async () =>
      (await client.get(`/messages/${messageId}`)).body.data.status === 'sent' ? true : undefined,
    );
    faulty.failing.add('delivered');
    await contact.sendReceipt(messageId, 'delivery');
    await eventually(() => (faulty.failed.some((f) => f.status === 'delivered') ? true : undefined), {
      message: 'the delivered write to fail',
    });
    faulty.failing.delete('delivered');
    // Before: the failure was logged and the status stayed `sent`; WhatsApp does not send it again.
    const row = await eventually(async () => {
      const data = (await client.get(`/messages/${messageId}`)).body.data;
      return data.status === 'delivered' ? data : undefined;
    });
    expect(statuses(row.statusHistory)).toEqual(['queued', 'sent', 'delivered']);
  });

  it('a receipt WhatsApp held while no host was connected settles the in-doubt send: no re-send', async () => {
    const { messageId, contact } = await crashAfterTheWire(gw, client, faulty, hostA, 'proved by a receipt');
    // The phone acknowledges while nobody is connected: WhatsApp holds the receipt for the device.
    await contact.sendReceipt(messageId, 'delivery');
    await gw.startHost('reconcile-b');

    const row = await eventually(
      async () => {
        const data = (await client.get(`/messages/${messageId}`)).body.data;
        return data.status === 'delivered' ? data : undefined;
      },
      { timeoutMs: 30_000, message: 'the held receipt recorded' },
    );
    expect(statuses(row.statusHistory)).toEqual(['queued', 'sent', 'delivered']);
    // The redelivered command runs before a later one of the tenant (FIFO), on the same connection.
    const next = await client.post('/send', { phone: contact.number, message: 'and the next one' });
    await contact.waitForMessage((m) => m.id === next.body.data.messageId, 30_000);
    expect(contact.received().filter((m) => m.id === messageId)).toHaveLength(1);
    expect((await client.get(`/messages/${messageId}`)).body.data.possibleDuplicate).toBeUndefined();
    const events = (await recordedEvents(gw, tenantId, 'message.status')).filter(
      (e) => e.messageId === messageId,
    );
    expect(events.map((e) => e.status)).toEqual(['sent', 'delivered']);
  }, 90_000);
});
