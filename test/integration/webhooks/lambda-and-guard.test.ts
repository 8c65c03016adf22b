import { GetQueueUrlCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchWebhook } from '../../../functions/webhook-dispatcher/dispatcher.js';
import { createHandler } from '../../../functions/webhook-dispatcher/lambda.js';
import { defaultSchedule } from '../../../functions/webhook-dispatcher/schedule.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../../local/webhook-receiver.js';
import { createAwsClients } from '../../../shared/aws/clients.js';
import type { WebhookEvent } from '../../../shared/events.js';
import { physicalName, webhookQueue } from '../../../shared/resources.js';
import { sessionStatus, startWebhookHarness, type WebhookHarness } from './harness.js';

// No polling loop here: these tests take messages off the queue themselves.
let h: WebhookHarness;
let receiver: WebhookReceiver;
const failingFor = new Set<string>();

beforeAll(async () => {
  h = await startWebhookHarness('wh-lambda', { loop: false });
  receiver = await startWebhookReceiver({
    secrets: [],
    respond: (r) => (failingFor.has(r.event.tenantId) ? 500 : 204),
  });
});
afterAll(async () => {
  await receiver?.close();
  await h?.close();
});

async function tenant() {
  const t = await h.api.createTenant({ webhookUrl: receiver.url });
  receiver.secrets.push(t.webhookSecret);
  return t;
}

/** Receives `count` real messages and wraps them as Lambda's SQS event source does. */
async function sqsBatch(count: number): Promise<SQSEvent> {
  const { sqs } = createAwsClients(h.api.config);
  const queueName = physicalName(h.api.config.resourcePrefix, webhookQueue.name);
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
  const records: SQSRecord[] = [];
  while (records.length < count) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 2,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    for (const m of Messages) {
      records.push({
        messageId: m.MessageId ?? '',
        receiptHandle: m.ReceiptHandle ?? '',
        body: m.Body ?? '',
        attributes: {
          ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
          SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
          SenderId: m.Attributes?.SenderId ?? 'test',
          ApproximateFirstReceiveTimestamp:
            m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
        },
        messageAttributes: Object.fromEntries(
          Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [
            k,
            { dataType: v.DataType ?? 'String', stringValue: v.StringValue },
          ]),
        ),
        md5OfBody: m.MD5OfBody ?? '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:${h.api.config.region}:000000000000:${queueName}`,
        awsRegion: h.api.config.region,
      });
    }
  }
  return { Records: records };
}

describe('Lambda handler', () => {
  it('reports only the failing record in batchItemFailures', async () => {
    const ok = await tenant();
    const failing = await tenant();
    failingFor.add(failing.tenantId);
    const good = await h.publisher.publish(ok.tenantId, 'session.status', sessionStatus());
    const bad = await h.publisher.publish(failing.tenantId, 'session.status', sessionStatus());

    const batch = await sqsBatch(2);
    const badRecord = batch.Records.find((r) => JSON.parse(r.body).id === bad.id);
    const handler = createHandler(h.dispatcherDeps({ schedule: defaultSchedule() }));
    const response = await handler(batch);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: badRecord?.messageId }]);
    const goodRow = await h.dispatcherDeps().events.find(ok.tenantId, good.id);
    const badRow = await h.dispatcherDeps().events.find(failing.tenantId, bad.id);
    expect(goodRow).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(badRow).toMatchObject({ status: 'retrying', attempts: 1, lastStatusCode: 500 });
    // The failing message's visibility was set to the schedule's first delay (about 5 s), not the queue's 60 s.
    expect(Date.parse(badRow?.nextAttemptAt ?? '') - Date.now()).toBeLessThan(7_000);
  });
});

describe('duplicate queue messages', () => {
  it('delivers once when two copies of one message are handled at the same time, and skips later copies', async () => {
    const t = await tenant();
    const event = await h.publisher.publish(t.tenantId, 'session.status', sessionStatus());
    const copy = { messageId: 'm', receiptHandle: 'r', body: JSON.stringify(event) };
    const deps = h.dispatcherDeps();
    const outcomes = await Promise.all([dispatchWebhook(deps, copy), dispatchWebhook(deps, copy)]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['delivered', 'duplicate']);
    expect((await dispatchWebhook(deps, copy)).outcome).toBe('duplicate');
    expect(receiver.received.filter((r) => r.headers.id === event.id)).toHaveLength(1);
  });
});

describe('SSRF guard in production mode', () => {
  const production = { requireHttps: true, allowPrivate: false };
  const message = (event: WebhookEvent) => ({
    messageId: 'm',
    receiptHandle: 'r',
    body: JSON.stringify(event),
  });

  it.each([
    ['a host resolving to 127.0.0.1', 'https://hooks.example.test/in', ['127.0.0.1']],
    ['a host resolving to the metadata address', 'https://metadata.example.test/in', ['169.254.169.254']],
    ['an IPv4-mapped loopback literal', 'https://[::ffff:127.0.0.1]/in', []],
    ['plain http to a public host', 'http://hooks.example.test/in', ['93.184.215.14']],
  ])('refuses %s: no request sent, the attempt logged as refused', async (_label, url, addresses) => {
    const t = await h.api.createTenant({ webhookUrl: url });
    const event = await h.publisher.publish(t.tenantId, 'session.status', sessionStatus());
    const fetched: string[] = [];
    const deps = h.dispatcherDeps({
      policy: production,
      lookup: async () => addresses,
      fetch: async (input) => {
        fetched.push(String(input));
        return new Response(null, { status: 204 });
      },
      schedule: defaultSchedule({ delaysMs: [] }),
    });
    const result = await dispatchWebhook(deps, message(event));
    expect(result.outcome).toBe('dead-lettered');
    expect(fetched).toEqual([]);
    const attempts = await deps.attempts.listForEvent(t.tenantId, event.id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]?.error).toMatch(/Target refused/);
    expect(attempts[0]?.statusCode).toBeUndefined();
  });

  it('lets a public https target through', async () => {
    const t = await h.api.createTenant({ webhookUrl: 'https://hooks.example.test/in' });
    const event = await h.publisher.publish(t.tenantId, 'session.status', sessionStatus());
    const fetched: string[] = [];
    const deps = h.dispatcherDeps({
      policy: production,
      lookup: async () => ['93.184.215.14'],
      fetch: async (input) => {
        fetched.push(String(input));
        return new Response(null, { status: 204 });
      },
    });
    expect((await dispatchWebhook(deps, message(event))).outcome).toBe('delivered');
    expect(fetched).toEqual(['https://hooks.example.test/in']);
  });
});
