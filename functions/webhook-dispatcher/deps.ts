import type { AwsClients } from '../../shared/aws/clients.js';
import type { Config } from '../../shared/config.js';
import type { Logger } from '../../shared/logger.js';
import { targetPolicy } from '../../shared/net/target-guard.js';
import { createTenantStore } from '../../shared/stores/tenants.js';
import { createWebhookAttemptStore } from '../../shared/stores/webhook-attempts.js';
import { createWebhookEventStore } from '../../shared/stores/webhook-events.js';
import type { BreakerPolicy } from '../../shared/webhook-breaker.js';
import { CLAIM_MARGIN_MS, DEFAULT_MAX_IN_FLIGHT_WAIT_MS, type DispatcherDeps } from './dispatcher.js';
import { createWebhookQueue } from './queue.js';
import { DEFAULT_RETRY_DELAYS_MS, defaultSchedule } from './schedule.js';

/** The breaker from configuration; a put-off event waits at most the schedule's longest delay. */
export function breakerPolicy(config: Pick<Config, 'webhooks' | 'webhookHealth'>): BreakerPolicy {
  return {
    ...config.webhookHealth,
    probeHoldMs: config.webhooks.timeoutMs + CLAIM_MARGIN_MS,
    maxDeferralMs: Math.max(...DEFAULT_RETRY_DELAYS_MS),
  };
}

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
    breaker: breakerPolicy(config),
    ...overrides,
  };
}
