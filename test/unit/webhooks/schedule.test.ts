import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_DELAYS_MS,
  defaultSchedule,
  nextRetryDelayMs,
  parseRetryAfter,
} from '../../../functions/webhook-dispatcher/schedule.js';

const fixed = (random: number) => defaultSchedule({ random: () => random });

describe('retry schedule', () => {
  it('follows 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then stops', () => {
    const schedule = fixed(0.5); // no jitter at the midpoint
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => nextRetryDelayMs(schedule, attempt));
    expect(delays).toEqual([
      5_000,
      300_000,
      1_800_000,
      7_200_000,
      18_000_000,
      36_000_000,
      36_000_000,
      undefined,
    ]);
    const totalHours = DEFAULT_RETRY_DELAYS_MS.reduce((a, b) => a + b, 0) / 3_600_000;
    expect(totalHours).toBeCloseTo(27.6, 1);
  });

  it('jitters each delay by at most ±20 %', () => {
    expect(nextRetryDelayMs(fixed(0), 2)).toBe(240_000);
    expect(nextRetryDelayMs(fixed(1), 2)).toBe(360_000);
    for (let i = 0; i < 200; i++) {
      const delay = nextRetryDelayMs(defaultSchedule(), 3) as number;
      expect(delay).toBeGreaterThanOrEqual(1_440_000);
      expect(delay).toBeLessThanOrEqual(2_160_000);
    }
  });

  it('waits at least 60 s after a timeout or 429', () => {
    expect(nextRetryDelayMs(fixed(0.5), 1, { overloaded: true })).toBe(60_000);
    expect(nextRetryDelayMs(fixed(0.5), 3, { overloaded: true })).toBe(1_800_000);
  });

  it('honours Retry-After only within 1–2× the scheduled delay', () => {
    expect(nextRetryDelayMs(fixed(0.5), 2, { retryAfterMs: 450_000 })).toBe(450_000);
    expect(nextRetryDelayMs(fixed(0.5), 2, { retryAfterMs: 10 * 3_600_000 })).toBe(600_000);
    expect(nextRetryDelayMs(fixed(0.5), 2, { retryAfterMs: 1_000 })).toBe(300_000);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
