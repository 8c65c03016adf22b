import { type WebhookEvent, webhookEventSchema } from '../../shared/events.js';
import type { Logger } from '../../shared/logger.js';
import type { Metrics } from '../../shared/metrics.js';
import type { Lookup, TargetPolicy } from '../../shared/net/target-guard.js';
import type { TenantStore, TenantWebhook, WebhookHealth } from '../../shared/stores/tenants.js';
import type { WebhookAttemptStore } from '../../shared/stores/webhook-attempts.js';
import type { WebhookEventStore } from '../../shared/stores/webhook-events.js';
import { admit, type BreakerPolicy, deferralMs, mayDisable } from '../../shared/webhook-breaker.js';
import { type DeliveryResult, deliver } from './deliver.js';
import { recordEndpointFailure, recordEndpointSuccess } from './endpoint-health.js';
import type { WebhookQueue } from './queue.js';
import { nextRetryDelayMs, type RetrySchedule } from './schedule.js';

/**
 * The dispatcher's core: one queue message in, one delivery attempt, the outcome recorded.
 * The Lambda adapter and the local polling loop both call `dispatchWebhook`.
 */

export interface DispatcherDeps {
  tenants: TenantStore;
  events: WebhookEventStore;
  attempts: WebhookAttemptStore;
  queue: WebhookQueue;
  log: Logger;
  now: () => Date;
  schedule: RetrySchedule;
  timeoutMs: number;
  policy: TargetPolicy;
  /**
   * Retry waits up to this stay on the message as SQS visibility; longer ones are parked in the
   * events table, so one dead endpoint cannot fill the queue's in-flight limit (architecture §8).
   */
  maxInFlightWaitMs: number;
  /** The per-endpoint circuit breaker and the failing-too-long limit. */
  breaker: BreakerPolicy;
  lookup?: Lookup;
  fetch?: typeof fetch;
  /**
   * WebhookDeliveries, WebhookFailures, WebhookDeferrals, WebhookBreakerOpenings and
   * WebhookEndpointsDisabled, for the dashboard and alarms.
   */
  metrics?: Metrics;
}

/** A claimed attempt is held this long past the request timeout before another worker may take it. */
export const CLAIM_MARGIN_MS = 30_000;

/** architecture §8: waits up to 15 minutes may use visibility; longer ones are parked. */
export const DEFAULT_MAX_IN_FLIGHT_WAIT_MS = 15 * 60 * 1000;

export interface QueueMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
}

export type DispatchOutcome =
  | 'delivered'
  | 'stored'
  | 'retry-scheduled'
  | 'parked'
  | 'dead-lettered'
  | 'endpoint-gone'
  | 'endpoint-disabled'
  | 'deferred'
  | 'duplicate'
  | 'invalid';

export interface DispatchResult {
  outcome: DispatchOutcome;
  /** False only when the message must stay on the queue to come back later (visibility changed). */
  ack: boolean;
  attempt?: number;
}

export async function dispatchWebhook(deps: DispatcherDeps, message: QueueMessage): Promise<DispatchResult> {
  const event = parseEvent(message.body);
  if (!event) {
    deps.log.error({ sqsMessageId: message.messageId }, 'webhook message is not an event; dead-lettered');
    await deps.queue.sendToDeadLetter(message.body, 'invalid');
    return { outcome: 'invalid', ack: true };
  }
  const { tenantId, id: eventId } = event;
  const log = deps.log.child({ tenantId, eventId, eventType: event.type });

  const tenant = await deps.tenants.find(tenantId);
  const webhook = tenant?.webhook;
  if (!tenant || !webhook?.enabled) {
    const stored = await deps.events.markStored(tenantId, eventId);
    log.debug({ stored }, 'no enabled webhook endpoint; event kept for replay');
    return { outcome: stored ? 'stored' : 'duplicate', ack: true };
  }

  // The breaker is read from the tenant item already fetched: a healthy endpoint costs nothing more.
  const admission = admit(webhook.health, deps.now(), deps.breaker);
  if (admission.kind === 'wait') return putOff(deps, event, message, webhook.health!, log);
  if (admission.kind === 'probe') {
    // Half-open: one worker wins the probe; the others put their events off as while open.
    // (If this event then turns out to be a duplicate, the probe hold simply lapses.)
    const won = await deps.tenants.saveWebhookHealth(
      tenantId,
      webhook.url,
      webhook.health?.version,
      admission.health,
    );
    if (!won) return putOff(deps, event, message, webhook.health!, log);
    log.info('webhook endpoint breaker half-open; probing with one attempt');
  }

  // The attempt count lives on the event row (conditional update), not in SQS's receive count.
  const holdUntil = new Date(deps.now().getTime() + deps.timeoutMs + CLAIM_MARGIN_MS);
  const attempt = await deps.events.claimAttempt(tenantId, eventId, holdUntil);
  if (attempt === undefined) {
    // Finished, parked (the sweeper re-queues it), unknown, or being delivered by another worker.
    log.debug('webhook message skipped: event not deliverable now');
    return { outcome: 'duplicate', ack: true };
  }

  const result = await deliver({
    url: webhook.url,
    eventId,
    body: message.body,
    secrets: deps.tenants.activeSecrets(tenant),
    timeoutMs: deps.timeoutMs,
    policy: deps.policy,
    now: deps.now,
    lookup: deps.lookup,
    fetch: deps.fetch,
  });
  // The attempt log and the event's outcome are independent writes: one round trip, not two.
  const [, outcome] = await Promise.all([
    deps.attempts.record(tenantId, {
      eventId,
      eventType: event.type,
      attempt,
      statusCode: result.statusCode,
      latencyMs: result.latencyMs,
      error: result.error,
    }),
    recordOutcome(deps, event, message, webhook, attempt, result, log),
  ]);
  return outcome;
}

async function recordOutcome(
  deps: DispatcherDeps,
  event: WebhookEvent,
  message: QueueMessage,
  webhook: TenantWebhook,
  attempt: number,
  result: DeliveryResult,
  log: Logger,
): Promise<DispatchResult> {
  const { tenantId, id: eventId } = event;
  const last = { statusCode: result.statusCode, error: result.error };
  if (!result.delivered) deps.metrics?.count('WebhookFailures');

  if (result.delivered) {
    await Promise.all([
      deps.events.recordOutcome(tenantId, eventId, { status: 'delivered', statusCode: result.statusCode }),
      recordEndpointSuccess(deps, tenantId, webhook, log),
    ]);
    log.info({ attempt, statusCode: result.statusCode, latencyMs: result.latencyMs }, 'webhook delivered');
    deps.metrics?.count('WebhookDeliveries');
    return { outcome: 'delivered', ack: true, attempt };
  }

  if (result.gone) {
    await deps.tenants.disableWebhook(tenantId, 'The endpoint answered 410 Gone', webhook.url);
    await deps.events.recordOutcome(tenantId, eventId, {
      status: 'failed',
      reason: 'endpoint_gone',
      ...last,
    });
    log.warn({ attempt }, 'webhook endpoint answered 410 Gone; endpoint disabled');
    deps.metrics?.count('WebhookEndpointsDisabled');
    return { outcome: 'endpoint-gone', ack: true, attempt };
  }

  const health = recordEndpointFailure(deps, tenantId, webhook, log);
  // Only a streak already past the limit can disable the endpoint; else the retry need not wait.
  if (mayDisable(webhook.health, deps.now(), deps.breaker) && (await health)?.disable) {
    // Kept for replay like every later event, as for a tenant without an endpoint.
    await deps.events.markStored(tenantId, eventId);
    return { outcome: 'endpoint-disabled', ack: true, attempt };
  }
  const [, outcome] = await Promise.all([health, scheduleRetry(deps, event, message, attempt, result, log)]);
  return outcome;
}

/** The next attempt of a failed event: on the queue, parked, or none left (dead-lettered). */
async function scheduleRetry(
  deps: DispatcherDeps,
  event: WebhookEvent,
  message: QueueMessage,
  attempt: number,
  result: DeliveryResult,
  log: Logger,
): Promise<DispatchResult> {
  const { tenantId, id: eventId } = event;
  const last = { statusCode: result.statusCode, error: result.error };
  const delayMs = nextRetryDelayMs(deps.schedule, attempt, result);
  if (delayMs === undefined) {
    await deps.queue.sendToDeadLetter(message.body, 'retries_exhausted');
    await deps.events.recordOutcome(tenantId, eventId, {
      status: 'failed',
      reason: 'retries_exhausted',
      ...last,
    });
    log.warn({ attempt, ...last }, 'webhook retries exhausted; dead-lettered');
    return { outcome: 'dead-lettered', ack: true, attempt };
  }

  const dueAt = new Date(deps.now().getTime() + delayMs).toISOString();
  if (delayMs <= deps.maxInFlightWaitMs) {
    await deps.events.recordOutcome(tenantId, eventId, { status: 'retrying', nextAttemptAt: dueAt, ...last });
    await deps.queue.retryLater(message.receiptHandle, delayMs / 1000);
    log.info({ attempt, delayMs, ...last }, 'webhook failed; retry scheduled');
    return { outcome: 'retry-scheduled', ack: false, attempt };
  }
  await deps.events.park(tenantId, eventId, dueAt, last);
  log.info({ attempt, delayMs, ...last }, 'webhook failed; retry parked');
  return { outcome: 'parked', ack: true, attempt };
}

/**
 * The endpoint's breaker is open: the event waits without using an attempt (it must never be
 * dead-lettered for attempts it was not given), on the queue or parked, as a failed attempt's retry.
 */
async function putOff(
  deps: DispatcherDeps,
  event: WebhookEvent,
  message: QueueMessage,
  health: WebhookHealth,
  log: Logger,
): Promise<DispatchResult> {
  const delayMs = deferralMs(health, deps.now(), deps.breaker, deps.schedule);
  const dueAt = new Date(deps.now().getTime() + delayMs).toISOString();
  const park = delayMs > deps.maxInFlightWaitMs;
  if (!(await deps.events.defer(event.tenantId, event.id, dueAt, { park }))) {
    log.debug('webhook message skipped: event not deliverable now');
    return { outcome: 'duplicate', ack: true };
  }
  if (!park) await deps.queue.retryLater(message.receiptHandle, delayMs / 1000);
  deps.metrics?.count('WebhookDeferrals');
  log.debug({ delayMs, park, openUntil: health.openUntil }, 'webhook endpoint breaker open; event put off');
  return { outcome: 'deferred', ack: park };
}

/**
 * Re-queues parked retries that are due. Each is taken out of the index first (a conditional
 * update), so two sweepers never queue one event twice.
 */
export async function sweepParked(
  deps: Pick<DispatcherDeps, 'events' | 'queue' | 'log' | 'now'>,
  limit = 100,
): Promise<number> {
  const due = await deps.events.listDue(deps.now(), limit);
  let queued = 0;
  for (const row of due) {
    if (!row.dueAt || !(await deps.events.unpark(row.tenantId, row.eventId, row.dueAt))) continue;
    try {
      await deps.queue.send(row.event);
      queued++;
    } catch (error) {
      // Put it back so the next sweep tries again.
      await deps.events.park(row.tenantId, row.eventId, row.dueAt, {
        statusCode: row.lastStatusCode,
        error: row.lastError,
      });
      throw error;
    }
  }
  return queued;
}

function parseEvent(body: string): WebhookEvent | undefined {
  try {
    const parsed = webhookEventSchema.safeParse(JSON.parse(body));
    return parsed.success ? (parsed.data as unknown as WebhookEvent) : undefined;
  } catch {
    return undefined;
  }
}
