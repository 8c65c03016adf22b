import { buildDispatcherDeps } from '../../../functions/webhook-dispatcher/deps.js';
import type { DispatcherDeps, QueueMessage } from '../../../functions/webhook-dispatcher/dispatcher.js';
import { startDispatcherLoop } from '../../../functions/webhook-dispatcher/loop.js';
import { defaultSchedule } from '../../../functions/webhook-dispatcher/schedule.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../../local/webhook-receiver.js';
import { createAwsClients } from '../../../shared/aws/clients.js';
import { createEventPublisher, type EventPublisher } from '../../../shared/aws/event-publisher.js';
import type { WebhookEvent } from '../../../shared/events.js';
import { createLogger } from '../../../shared/logger.js';
import { deadLetterName, physicalName, webhookQueue } from '../../../shared/resources.js';
import type { BreakerPolicy } from '../../../shared/webhook-breaker.js';
import { startTestApi, type TestApi } from '../../support/api-client.js';
import { drainQueue, isolatedResources } from '../../support/resources.js';

/**
 * A short schedule for tests: two immediate retries through SQS visibility, then a one-hour wait
 * that is parked (longer than maxInFlightWaitMs) and released by a sweep with a test clock.
 */
export const TEST_SCHEDULE = defaultSchedule({ delaysMs: [0, 0, 3_600_000], jitter: 0 });
export const TEST_MAX_IN_FLIGHT_WAIT_MS = 10_000;

/** Breaker cool-downs in tens of seconds, so the API (on the real clock) sees `open` while a test runs. */
export const TEST_BREAKER: BreakerPolicy = {
  failureThreshold: 3,
  coolDownMs: 30_000,
  maxCoolDownMs: 240_000,
  disableAfterFailingMs: 120_000,
  probeHoldMs: 5_000,
  maxDeferralMs: 3_600_000,
};

type Respond = Parameters<typeof startWebhookReceiver>[0]['respond'];

export interface WebhookHarness {
  api: TestApi;
  publisher: EventPublisher;
  /** Dispatcher collaborators on the same resources; pass `overrides` for a test clock or policy. */
  dispatcherDeps(overrides?: Partial<DispatcherDeps>): DispatcherDeps;
  deadLetters(): Promise<{ body: string }[]>;
  /** A tenant whose endpoint is a fresh receiver holding the tenant's secret (closed with the harness). */
  tenantWithReceiver(
    respond?: Respond,
  ): Promise<Awaited<ReturnType<TestApi['createTenant']>> & { receiver: WebhookReceiver }>;
  /** The ids of the events visible on the queue now; their messages are kept for `take`. */
  receiveVisible(): Promise<string[]>;
  /** The queue message of one event, received (for tests that run no polling loop). */
  take(eventId: string): Promise<QueueMessage>;
  close(): Promise<void>;
}

/** API server, event publisher and (optionally) the polling dispatcher, on resources of their own. */
export async function startWebhookHarness(
  label: string,
  options: { loop: boolean },
): Promise<WebhookHarness> {
  const api = await startTestApi(await isolatedResources(label));
  const clients = createAwsClients(api.config);
  const log = createLogger({ service: 'webhook-test', level: api.config.logLevel });
  const base: Partial<DispatcherDeps> = {
    schedule: TEST_SCHEDULE,
    maxInFlightWaitMs: TEST_MAX_IN_FLIGHT_WAIT_MS,
  };
  const loop = options.loop
    ? startDispatcherLoop({ config: api.config, clients, logger: log, overrides: base, waitSeconds: 1 })
    : undefined;
  const dispatcherDeps = (overrides: Partial<DispatcherDeps> = {}) =>
    buildDispatcherDeps({ config: api.config, clients, log }, { ...base, ...overrides });
  const receivers: WebhookReceiver[] = [];
  // Messages received but not yet taken, by event id (a received message stays hidden for 180 s).
  const received = new Map<string, QueueMessage>();
  const receiveVisible = async () => {
    const ids: string[] = [];
    for (const m of await dispatcherDeps().queue.receive({ max: 10, waitSeconds: 1 })) {
      const id = (JSON.parse(m.Body ?? '{}') as WebhookEvent).id;
      received.set(id, {
        messageId: m.MessageId ?? '',
        receiptHandle: m.ReceiptHandle ?? '',
        body: m.Body ?? '',
      });
      ids.push(id);
    }
    return ids;
  };
  return {
    api,
    publisher: createEventPublisher({ dynamo: clients.dynamo, sqs: clients.sqs, config: api.config }),
    dispatcherDeps,
    deadLetters: () =>
      drainQueue(clients.sqs, physicalName(api.config.resourcePrefix, deadLetterName(webhookQueue))),
    async tenantWithReceiver(respond) {
      const receiver = await startWebhookReceiver({ secrets: [], respond });
      receivers.push(receiver);
      const tenant = await api.createTenant({ webhookUrl: receiver.url });
      receiver.secrets.push(tenant.webhookSecret);
      return { ...tenant, receiver };
    },
    receiveVisible,
    async take(eventId) {
      const deadline = Date.now() + 10_000;
      while (!received.has(eventId) && Date.now() < deadline) await receiveVisible();
      const message = received.get(eventId);
      if (!message) throw new Error(`event ${eventId} never arrived on the queue`);
      received.delete(eventId);
      return message;
    },
    async close() {
      await loop?.stop();
      await Promise.all(receivers.map((r) => r.close()));
      await api.close();
    },
  };
}

export const sessionStatus = (epoch = 1) => ({ status: 'connected' as const, epoch });
