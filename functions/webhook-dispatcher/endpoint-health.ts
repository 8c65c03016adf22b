import type { Logger } from '../../shared/logger.js';
import type { Metrics } from '../../shared/metrics.js';
import type { TenantStore, TenantWebhook } from '../../shared/stores/tenants.js';
import { afterFailure, type BreakerPolicy, type FailureStep } from '../../shared/webhook-breaker.js';

/**
 * Writes the breaker's decisions to the tenant's webhook item. Failures use optimistic concurrency on
 * the health version (re-read and decide again when another worker wrote first); a success clears
 * the health whatever its version, so a reset is never lost to a failure decided on older state.
 */

interface HealthDeps {
  tenants: TenantStore;
  breaker: BreakerPolicy;
  now: () => Date;
  metrics?: Metrics;
}

/** Concurrent failures of one endpoint race for the same item; a few rounds settle them. */
const MAX_ROUNDS = 10;

/**
 * Records a failed attempt on `webhook` (as read before the attempt). Returns the step written, or
 * undefined when the endpoint changed meanwhile (new URL, disabled, deleted): the failure was the old one's.
 */
export async function recordEndpointFailure(
  deps: HealthDeps,
  tenantId: string,
  webhook: TenantWebhook,
  log: Logger,
): Promise<FailureStep | undefined> {
  let current: TenantWebhook | undefined = webhook;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const now = deps.now();
    const step = afterFailure(current.health, now, deps.breaker);
    const reason = step.disable ? disabledReason(step.health.failingSince, deps.breaker) : undefined;
    if (
      await deps.tenants.saveWebhookHealth(
        tenantId,
        webhook.url,
        current.health?.version,
        step.health,
        reason,
      )
    ) {
      report(deps, step, log, reason);
      return step;
    }
    current = (await deps.tenants.find(tenantId))?.webhook;
    if (!current?.enabled || current.url !== webhook.url) return undefined;
  }
  log.warn('webhook endpoint health not recorded: too many concurrent updates');
  return undefined;
}

/** A success ends the streak and closes the breaker; a healthy endpoint costs no write. */
export async function recordEndpointSuccess(
  deps: Pick<HealthDeps, 'tenants'>,
  tenantId: string,
  webhook: TenantWebhook,
  log: Logger,
): Promise<void> {
  if (!webhook.health) return;
  await deps.tenants.clearWebhookHealth(tenantId, webhook.url);
  log.info(
    { failures: webhook.health.consecutiveFailures },
    'webhook endpoint healthy again; breaker closed',
  );
}

function disabledReason(failingSince: string, policy: BreakerPolicy): string {
  return `Every delivery has failed since ${failingSince}, for more than ${duration(policy.disableAfterFailingMs)}; set the webhook URL again to re-enable`;
}

const duration = (ms: number) => {
  if (ms >= 86_400_000) return `${+(ms / 86_400_000).toFixed(1)} days`;
  if (ms >= 3_600_000) return `${+(ms / 3_600_000).toFixed(1)} hours`;
  return `${+(ms / 1000).toFixed(1)} seconds`;
};

function report(deps: HealthDeps, step: FailureStep, log: Logger, disabledReason: string | undefined) {
  const { consecutiveFailures, failingSince, openUntil } = step.health;
  if (disabledReason) {
    // The tenant reads this on its webhook (GET /tenants/{id}); the metric feeds the dashboard.
    log.warn({ consecutiveFailures, failingSince }, 'webhook endpoint failing too long; endpoint disabled');
    deps.metrics?.count('WebhookEndpointsDisabled');
  } else if (step.transition) {
    log.warn(
      { consecutiveFailures, failingSince, openUntil, transition: step.transition },
      'webhook endpoint circuit breaker open',
    );
    deps.metrics?.count('WebhookBreakerOpenings');
  }
}
