import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/aws/clients.js';
import type { Phone } from '../../simulator/index.js';
import type { ApiClient } from '../../support/api-client.js';
import { eventually } from '../../support/env.js';
import { linkByQr, startTestGateway, type TestGateway } from '../../support/gateway.js';

/** A 500 from DynamoDB, as the SDK reports it after its own retries. */
function serviceError(): Error {
  return Object.assign(new Error('We currently do not have sufficient capacity'), {
    name: 'InternalServerError',
    $fault: 'server',
    $metadata: { httpStatusCode: 500 },
  });
}

/**
 * WhatsApp accepted the message, then recording `sent` failed: the command is retried, and the
 * retry must not send the message a second time.
 */
describe('a send whose status write fails after WhatsApp accepted it', () => {
  let gw: TestGateway;
  let client: ApiClient;
  let contact: Phone;
  let failNextSentWrite = false;
  const failedSentWrites: string[] = [];

  beforeAll(async () => {
    gw = await startTestGateway('once');
    const clients = createAwsClients(gw.config);
    // The next `sent` write fails once when armed; DynamoDB Local cannot do that on demand.
    clients.dynamo.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as {
          Key?: { messageId?: unknown };
          ExpressionAttributeValues?: Record<string, unknown>;
        };
        if (failNextSentWrite && input.ExpressionAttributeValues?.[':status'] === 'sent') {
          failNextSentWrite = false;
          failedSentWrites.push(String(input.Key?.messageId));
          throw serviceError();
        }
        return next(args);
      },
      { step: 'initialize', name: 'failOneSentWrite' },
    );
    await gw.startHost(undefined, { clients });
    const tenant = await gw.api.createTenant();
    client = tenant.client;
    await linkByQr(client, tenant.tenantId, gw.sim.createPhone());
    // No delivery receipt: the status stays queued until the retry, so only the retry can record it.
    contact = gw.sim.createPhone({ autoDeliveryReceipts: false });
  });
  afterAll(() => gw.close());

  it('is retried, recorded as sent, and reaches the phone exactly once', async () => {
    failNextSentWrite = true;
    const res = await client.post('/send', { phone: contact.number, message: 'only once, please' });
    const messageId = res.body.data.messageId as string;
    await contact.waitForMessage((m) => m.id === messageId, 30_000);
    const row = await eventually(async () => {
      const data = (await client.get(`/messages/${messageId}`)).body.data;
      return data.status === 'sent' ? data : undefined;
    });
    expect(failedSentWrites).toEqual([messageId]);
    expect(row.statusHistory.map((h: { status: string }) => h.status)).toEqual(['queued', 'sent']);
    // A later message on the same connection arrives after any second copy would have.
    const next = await client.post('/send', { phone: contact.number, message: 'and the next one' });
    await contact.waitForMessage((m) => m.id === next.body.data.messageId, 30_000);
    expect(contact.received().filter((m) => m.id === messageId)).toHaveLength(1);
  });
});
