import { buildDispatcherDeps } from '../../../functions/webhook-dispatcher/deps.js';
import type { DispatcherDeps } from '../../../functions/webhook-dispatcher/dispatcher.js';
import { startDispatcherLoop } from '../../../functions/webhook-dispatcher/loop.js';
import { defaultSchedule } from '../../../functions/webhook-dispatcher/schedule.js';
import { createAwsClients } from '../../../shared/aws/clients.js';
import { createEventPublisher, type EventPublisher } from '../../../shared/aws/event-publisher.js';
import { createLogger } from '../../../shared/logger.js';
import { deadLetterName, physicalName, webhookQueue } from '../../../shared/resources.js';
import { startTestApi, type TestApi } from '../../support/api-client.js';
import { drainQueue, isolatedResources } from '../../support/resources.js';

/**
 * A short schedule for tests: two immediate retries through SQS visibility, then a one-hour wait
 * that is parked (longer than maxInFlightWaitMs) and released by a sweep with a test clock.
 */
export const TEST_SCHEDULE = defaultSchedule({ delaysMs: [0, 0, 3_600_000], jitter: 0 });
export const TEST_MAX_IN_FLIGHT_WAIT_MS = 10_000;

export interface WebhookHarness {
  api: TestApi;
  publisher: EventPublisher;
  /** Dispatcher collaborators on the same resources; pass `overrides` for a test clock or policy. */
  dispatcherDeps(overrides?: Partial<DispatcherDeps>): DispatcherDeps;
  deadLetters(): Promise<{ body: string }[]>;
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
  return {
    api,
    publisher: createEventPublisher({ dynamo: clients.dynamo, sqs: clients.sqs, config: api.config }),
    dispatcherDeps: (overrides = {}) =>
      buildDispatcherDeps({ config: api.config, clients, log }, { ...base, ...overrides }),
    deadLetters: () =>
      drainQueue(clients.sqs, physicalName(api.config.resourcePrefix, deadLetterName(webhookQueue))),
    async close() {
      await loop?.stop();
      await api.close();
    },
  };
}

export const sessionStatus = (epoch = 1) => ({ status: 'connected' as const, epoch });
