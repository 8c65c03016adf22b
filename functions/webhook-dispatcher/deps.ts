import type { AwsClients } from '../../shared/aws/clients.js';
import type { Config } from '../../shared/config.js';
import type { Logger } from '../../shared/logger.js';
import { targetPolicy } from '../../shared/net/target-guard.js';
import { createTenantStore } from '../../shared/stores/tenants.js';
import { createWebhookAttemptStore } from '../../shared/stores/webhook-attempts.js';
import { createWebhookEventStore } from '../../shared/stores/webhook-events.js';
import { DEFAULT_MAX_IN_FLIGHT_WAIT_MS, type DispatcherDeps } from './dispatcher.js';
import { createWebhookQueue } from './queue.js';
import { defaultSchedule } from './schedule.js';

/** The dispatcher's collaborators from configuration; tests override the schedule, clock or policy. */
export function buildDispatcherDeps(
  options: { config: Config; clients: Pick<AwsClients, 'dynamo' | 'sqs'>; log: Logger },
  overrides: Partial<DispatcherDeps> = {},
): DispatcherDeps {
  const { config, clients, log } = options;
  const now = overrides.now ?? (() => new Date());
  const storeDeps = { dynamo: clients.dynamo, config, now };
  return {
    tenants: createTenantStore(storeDeps),
    events: createWebhookEventStore(storeDeps),
    attempts: createWebhookAttemptStore(storeDeps),
    queue: createWebhookQueue({ sqs: clients.sqs, config }),
    log,
    now,
    schedule: defaultSchedule(),
    timeoutMs: config.webhooks.timeoutMs,
    policy: targetPolicy(config),
    maxInFlightWaitMs: DEFAULT_MAX_IN_FLIGHT_WAIT_MS,
    ...overrides,
  };
}
