import type { WebhookHealth } from './stores/tenants.js';

/**
 * The per-endpoint circuit breaker and failure streak (architecture §8), as pure functions of the health
 * stored on the tenant's webhook item. Closed: every event is attempted. After `failureThreshold`
 * failures in a row it opens: events are put off, not attempted, until the cool-down ends. Then it is
 * half-open: one attempt probes; success closes it, failure opens it again for a doubled cool-down.
 * An endpoint whose streak is older than `disableAfterFailingMs` at a failure is disabled.
 */

export interface BreakerPolicy {
  failureThreshold: number;
  coolDownMs: number;
  maxCoolDownMs: number;
  disableAfterFailingMs: number;
  /** How long the half-open attempt keeps other workers waiting: the request timeout and a margin. */
  probeHoldMs: number;
  /** The longest a put-off event waits before it looks again. */
  maxDeferralMs: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export type Admission =
  | { kind: 'attempt' }
  /** Half-open: claim the probe by saving `health` (it holds the breaker for this attempt). */
  | { kind: 'probe'; health: WebhookHealth }
  | { kind: 'wait'; until: Date };

export interface FailureStep {
  health: WebhookHealth;
  transition?: 'opened' | 'reopened';
  /** The streak began longer ago than the policy allows: disable the endpoint. */
  disable: boolean;
}

/** SQS visibility counts whole seconds. */
const MIN_DEFERRAL_MS = 1000;

const at = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));

export function breakerState(health: WebhookHealth | undefined, now: Date): BreakerState {
  const openUntil = at(health?.openUntil);
  if (openUntil === undefined) return 'closed';
  if (openUntil > now.getTime()) return health?.probing ? 'half-open' : 'open';
  return 'half-open';
}

/** Cool-down after the breaker's `openings`-th opening in one streak: doubling, capped. */
export function coolDownMs(openings: number, policy: BreakerPolicy): number {
  return Math.min(policy.coolDownMs * 2 ** Math.max(0, openings - 1), policy.maxCoolDownMs);
}

/** Whether an event may be attempted now. */
export function admit(health: WebhookHealth | undefined, now: Date, policy: BreakerPolicy): Admission {
  const openUntil = at(health?.openUntil);
  if (!health || openUntil === undefined) return { kind: 'attempt' };
  if (openUntil > now.getTime()) return { kind: 'wait', until: new Date(openUntil) };
  return {
    kind: 'probe',
    health: {
      ...health,
      version: health.version + 1,
      probing: true,
      openUntil: new Date(now.getTime() + policy.probeHoldMs).toISOString(),
    },
  };
}

/**
 * Whether a failure now could disable the endpoint, judged on health read earlier: a streak only
 * ever restarts later, so one within the limit then cannot be past it at the write.
 */
export function mayDisable(health: WebhookHealth | undefined, now: Date, policy: BreakerPolicy): boolean {
  return (
    health !== undefined && now.getTime() - Date.parse(health.failingSince) > policy.disableAfterFailingMs
  );
}

/** The health after a failed attempt. */
export function afterFailure(
  health: WebhookHealth | undefined,
  now: Date,
  policy: BreakerPolicy,
): FailureStep {
  const nowIso = now.toISOString();
  const consecutiveFailures = (health?.consecutiveFailures ?? 0) + 1;
  const failingSince = health?.failingSince ?? nowIso;
  const disable = mayDisable(health, now, policy);
  const base = {
    version: (health?.version ?? 0) + 1,
    consecutiveFailures,
    failingSince,
    lastFailureAt: nowIso,
  };
  const open = (openings: number) => ({
    ...base,
    openings,
    openUntil: new Date(now.getTime() + coolDownMs(openings, policy)).toISOString(),
  });

  const openUntil = at(health?.openUntil);
  if (openUntil !== undefined && (health?.probing || openUntil <= now.getTime())) {
    // The half-open attempt failed: the endpoint is still down, wait longer this time.
    return { health: open((health?.openings ?? 1) + 1), transition: 'reopened', disable };
  }
  if (openUntil !== undefined) {
    // An attempt that began before the breaker opened: count it, keep the cool-down.
    return { health: { ...base, openings: health?.openings, openUntil: health?.openUntil }, disable };
  }
  if (consecutiveFailures >= policy.failureThreshold)
    return { health: open(1), transition: 'opened', disable };
  return { health: base, disable };
}

/**
 * How long to put off an event while the breaker is open: until the cool-down ends, and at least as
 * long as the endpoint has been failing, so a long outage parks its events instead of cycling them
 * through SQS (architecture §8's in-flight limit); spread upward by `jitter` so they do not return together.
 */
export function deferralMs(
  health: WebhookHealth,
  now: Date,
  policy: BreakerPolicy,
  spread: { jitter: number; random: () => number },
): number {
  const remaining = Math.max(0, (at(health.openUntil) ?? 0) - now.getTime());
  const outage = Math.max(0, now.getTime() - Date.parse(health.failingSince));
  const base = Math.min(Math.max(remaining, outage), policy.maxDeferralMs);
  const delay = Math.max(remaining, base * (1 + spread.jitter * spread.random()));
  return Math.round(Math.max(MIN_DEFERRAL_MS, delay));
}
