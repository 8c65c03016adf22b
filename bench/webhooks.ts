/**
 * Webhook deliveries per second: the dispatcher core (event row read, tenant read, attempt claim,
 * signed POST, attempt log, outcome write on DynamoDB Local) against a bare `fetch` loop posting the
 * same body to the same receiver, same run, same concurrency.
 * Run: npx tsx bench/webhooks.ts [deliveries=1000] [concurrency=10]
 */
import { buildDispatcherDeps } from '../functions/webhook-dispatcher/deps.js';
import { dispatchWebhook } from '../functions/webhook-dispatcher/dispatcher.js';
import { startWebhookReceiver } from '../local/webhook-receiver.js';
import { createAwsClients } from '../shared/aws/clients.js';
import { createEventPublisher } from '../shared/aws/event-publisher.js';
import type { WebhookEvent } from '../shared/events.js';
import { createLogger } from '../shared/logger.js';
import { createTenantStore } from '../shared/stores/tenants.js';
import { fmt, startBenchStack } from './support.js';

const deliveries = Number(process.argv[2] ?? 1000);
const concurrency = Number(process.argv[3] ?? 10);

const stack = await startBenchStack();
const clients = createAwsClients(stack.config);
const log = createLogger({ service: 'bench', level: 'silent' });
const tenants = createTenantStore({ dynamo: clients.dynamo, config: stack.config });

// A real receiver that verifies every signature; the bare loop's requests are unsigned and refused
// with 401, so the receiver does slightly less work for the baseline (no body parse, no event kept).
let tenantSecret = '';
const receiver = await startWebhookReceiver({ secrets: [] });
const tenant = await tenants.create({ tenantId: 'bench', name: 'Bench', webhookUrl: receiver.url });
tenantSecret = tenant.webhookSecrets[0]?.secret ?? '';
receiver.secrets.push(tenantSecret);

const publisher = createEventPublisher({ dynamo: clients.dynamo, sqs: clients.sqs, config: stack.config });
const publishAll = async (count: number) => {
  const events: WebhookEvent[] = [];
  await pool(count, async () => {
    events.push(await publisher.publish('bench', 'session.status', { status: 'connected', epoch: 1 }));
  });
  return events;
};

/** Runs `task` `count` times with `concurrency` workers; returns elapsed seconds. */
async function pool(count: number, task: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
  return (performance.now() - started) / 1000;
}

const deps = buildDispatcherDeps({ config: stack.config, clients, log });
const sample = JSON.stringify((await publishAll(1))[0]);

async function bare(count: number) {
  let failures = 0;
  const seconds = await pool(count, async () => {
    const res = await fetch(receiver.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: sample,
      redirect: 'manual',
      signal: AbortSignal.timeout(15_000),
    });
    await res.arrayBuffer();
    if (res.status !== 401) failures++;
  });
  return { seconds, failures };
}

async function core(events: WebhookEvent[]) {
  let failures = 0;
  const seconds = await pool(events.length, async (i) => {
    const event = events[i] as WebhookEvent;
    const result = await dispatchWebhook(deps, {
      messageId: event.id,
      receiptHandle: 'bench',
      body: JSON.stringify(event),
    });
    if (result.outcome !== 'delivered') failures++;
  });
  return { seconds, failures };
}

// Warm-up of the JIT, connections and DynamoDB Local, not reported.
await bare(200);
await core(await publishAll(200));

const events = await publishAll(deliveries);
const baseline = await bare(deliveries);
const dispatched = await core(events);
const verified = receiver.received.length;

const rate = (r: { seconds: number }) => deliveries / r.seconds;
console.log(
  `\nWebhook deliveries: dispatcher core vs bare fetch, ${deliveries} each, concurrency ${concurrency}`,
);
console.log('path               deliveries/s   mean ms   failures');
for (const [name, r] of [
  ['bare fetch', baseline],
  ['dispatcher core', dispatched],
] as const) {
  console.log(
    `${name.padEnd(18)} ${fmt(rate(r)).padStart(12)} ${fmt((r.seconds * 1000 * concurrency) / deliveries, 2).padStart(9)} ${String(r.failures).padStart(10)}`,
  );
}
console.log(`ratio core ÷ bare: throughput ${(rate(dispatched) / rate(baseline)).toFixed(3)}`);
console.log(`receiver verified ${verified} signed deliveries (warm-up included)`);

await receiver.close();
await stack.stop();
process.exit(0);
