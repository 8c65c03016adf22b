import { describe, expect, it } from 'vitest';
import { breakerPolicy } from '../../functions/webhook-dispatcher/deps.js';
import { loadConfig } from '../../shared/config.js';
import type { WebhookHealth } from '../../shared/stores/tenants.js';
import {
  admit,
  afterFailure,
  type BreakerPolicy,
  breakerState,
  coolDownMs,
  deferralMs,
} from '../../shared/webhook-breaker.js';

const policy: BreakerPolicy = {
  failureThreshold: 3,
  coolDownMs: 60_000,
  maxCoolDownMs: 900_000,
  disableAfterFailingMs: 5 * 86_400_000,
  probeHoldMs: 45_000,
  maxDeferralMs: 36_000_000,
};
const t0 = new Date('2025-01-01T00:00:00.000Z');
const plus = (ms: number) => new Date(t0.getTime() + ms);
const noSpread = { jitter: 0, random: () => 0.5 };

/** Applies `count` failures one second apart, starting at `from`. */
function failures(count: number, from = t0, start?: WebhookHealth) {
  let health = start;
  const steps = [];
  for (let i = 0; i < count; i++) {
    const step = afterFailure(health, new Date(from.getTime() + i * 1000), policy);
    steps.push(step);
    health = step.health;
  }
  return { health: health!, steps };
}

describe('breaker state', () => {
  it.each([
    ['no health', undefined, 0, 'closed'],
    [
      'failures below the threshold',
      { version: 2, consecutiveFailures: 2, failingSince: t0.toISOString(), lastFailureAt: t0.toISOString() },
      0,
      'closed',
    ],
    [
      'inside the cool-down',
      {
        version: 3,
        consecutiveFailures: 3,
        failingSince: t0.toISOString(),
        lastFailureAt: t0.toISOString(),
        openUntil: plus(60_000).toISOString(),
        openings: 1,
      },
      59_999,
      'open',
    ],
    [
      'cool-down over',
      {
        version: 3,
        consecutiveFailures: 3,
        failingSince: t0.toISOString(),
        lastFailureAt: t0.toISOString(),
        openUntil: plus(60_000).toISOString(),
        openings: 1,
      },
      60_000,
      'half-open',
    ],
    [
      'probe in flight',
      {
        version: 4,
        consecutiveFailures: 3,
        failingSince: t0.toISOString(),
        lastFailureAt: t0.toISOString(),
        openUntil: plus(100_000).toISOString(),
        openings: 1,
        probing: true,
      },
      61_000,
      'half-open',
    ],
  ] as const)('%s → %s', (_label, health, at, expected) => {
    expect(breakerState(health as WebhookHealth | undefined, plus(at))).toBe(expected);
  });
});

describe('failures', () => {
  it('counts failures and opens at the threshold, not before', () => {
    const { health, steps } = failures(3);
    expect(steps.map((s) => s.transition)).toEqual([undefined, undefined, 'opened']);
    expect(health).toMatchObject({
      version: 3,
      consecutiveFailures: 3,
      failingSince: t0.toISOString(),
      lastFailureAt: plus(2000).toISOString(),
      openings: 1,
      openUntil: plus(2000 + 60_000).toISOString(),
    });
  });

  it('a failure of an attempt begun before the breaker opened keeps the cool-down', () => {
    const open = failures(3).health;
    const step = afterFailure(open, plus(3000), policy);
    expect(step.transition).toBeUndefined();
    expect(step.health).toMatchObject({ consecutiveFailures: 4, openUntil: open.openUntil, openings: 1 });
  });

  it('a failed probe re-opens with a doubled cool-down, capped at the maximum', () => {
    let health = failures(3).health;
    const coolDowns: number[] = [];
    let now = Date.parse(health.openUntil!);
    for (let i = 0; i < 6; i++) {
      const probe = admit(health, new Date(now), policy);
      if (probe.kind !== 'probe') throw new Error(`expected a probe, got ${probe.kind}`);
      expect(probe.health).toMatchObject({ probing: true, version: health.version + 1 });
      const step = afterFailure(probe.health, new Date(now + 1000), policy);
      expect(step.transition).toBe('reopened');
      expect(step.health.probing).toBeUndefined();
      coolDowns.push(Date.parse(step.health.openUntil!) - (now + 1000));
      health = step.health;
      now = Date.parse(health.openUntil!);
    }
    expect(coolDowns).toEqual([120_000, 240_000, 480_000, 900_000, 900_000, 900_000]);
    expect(coolDownMs(1, policy)).toBe(60_000);
  });

  it('disables once the streak is older than the limit at a failure, not at exactly the limit', () => {
    const first = failures(1).health;
    expect(afterFailure(first, plus(policy.disableAfterFailingMs), policy).disable).toBe(false);
    const late = afterFailure(first, plus(policy.disableAfterFailingMs + 1), policy);
    expect(late.disable).toBe(true);
    expect(late.health.failingSince).toBe(t0.toISOString());
    expect(afterFailure(undefined, plus(10 * 86_400_000), policy).disable).toBe(false);
  });
});

describe('admission', () => {
  it('attempts while closed, waits while open, probes once the cool-down is over', () => {
    expect(admit(undefined, t0, policy)).toEqual({ kind: 'attempt' });
    expect(admit(failures(2).health, t0, policy)).toEqual({ kind: 'attempt' });
    const open = failures(3).health;
    expect(admit(open, plus(3000), policy)).toEqual({ kind: 'wait', until: new Date(open.openUntil!) });
    const probe = admit(open, new Date(open.openUntil!), policy);
    expect(probe).toMatchObject({
      kind: 'probe',
      health: { openUntil: new Date(Date.parse(open.openUntil!) + 45_000).toISOString(), probing: true },
    });
    // While the probe is held, everyone else waits.
    if (probe.kind === 'probe') {
      expect(admit(probe.health, new Date(Date.parse(open.openUntil!) + 1000), policy).kind).toBe('wait');
    }
  });
});

describe('deferral', () => {
  it('waits out the cool-down early in an outage', () => {
    const open = failures(3).health; // failing for 2 s, open until 62 s
    expect(deferralMs(open, plus(2000), policy, noSpread)).toBe(60_000);
  });

  it('waits as long as the endpoint has been failing once that is longer, up to the maximum', () => {
    const open = failures(3).health;
    expect(deferralMs(open, plus(3_600_000), policy, noSpread)).toBe(3_600_000);
    expect(deferralMs(open, plus(3 * 86_400_000), policy, noSpread)).toBe(policy.maxDeferralMs);
  });

  it('spreads waits upward only, never before the cool-down ends', () => {
    const open = failures(3).health;
    const spread = (random: number) =>
      deferralMs(open, plus(2000), policy, { jitter: 0.2, random: () => random });
    expect(spread(0)).toBe(60_000);
    expect(spread(1)).toBe(72_000);
  });

  it('never answers less than a second (SQS visibility counts seconds)', () => {
    const open = failures(3).health;
    expect(deferralMs(open, new Date(open.openUntil!), { ...policy }, noSpread)).toBeGreaterThanOrEqual(1000);
  });
});

describe('configuration', () => {
  it('defaults to 5 failures, 60 s growing to 15 min, disabled after 5 days; each is settable', () => {
    expect(breakerPolicy(loadConfig({}))).toMatchObject({
      failureThreshold: 5,
      coolDownMs: 60_000,
      maxCoolDownMs: 900_000,
      disableAfterFailingMs: 5 * 86_400_000,
      probeHoldMs: 15_000 + 30_000,
    });
    const set = loadConfig({
      WEBHOOK_BREAKER_FAILURE_THRESHOLD: '2',
      WEBHOOK_BREAKER_COOL_DOWN_MS: '1000',
      WEBHOOK_BREAKER_MAX_COOL_DOWN_MS: '4000',
      WEBHOOK_DISABLE_AFTER_FAILING_MS: '60000',
    });
    expect(breakerPolicy(set)).toMatchObject({
      failureThreshold: 2,
      coolDownMs: 1000,
      maxCoolDownMs: 4000,
      disableAfterFailingMs: 60_000,
    });
    expect(() => loadConfig({ WEBHOOK_BREAKER_FAILURE_THRESHOLD: '0' })).toThrow(
      /WEBHOOK_BREAKER_FAILURE_THRESHOLD/,
    );
  });
});
