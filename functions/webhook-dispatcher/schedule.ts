/**
 * When to try a failed delivery again (architecture §8, Svix's schedule): 5 s, 5 min, 30 min, 2 h, 5 h,
 * 10 h, 10 h after the previous attempt — eight attempts over about 27.6 h — each with ±20 % jitter.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  10 * HOUR,
];

export interface RetrySchedule {
  /** Delays after attempt 1, 2, …; one more attempt than delays in all. */
  delaysMs: readonly number[];
  /** ± fraction applied to each delay. */
  jitter: number;
  random: () => number;
  /** After a timeout or a 429 the endpoint is struggling: never come back sooner than this. */
  minDelayAfterOverloadMs: number;
}

export const defaultSchedule = (overrides: Partial<RetrySchedule> = {}): RetrySchedule => ({
  delaysMs: DEFAULT_RETRY_DELAYS_MS,
  jitter: 0.2,
  random: Math.random,
  minDelayAfterOverloadMs: 60 * SECOND,
  ...overrides,
});

export interface FailureHint {
  /** The attempt timed out or the endpoint answered 429. */
  overloaded?: boolean;
  /** The endpoint's Retry-After, in milliseconds. */
  retryAfterMs?: number;
}

/**
 * Delay before the attempt after `attempt` (1-based), or undefined when the schedule is spent.
 * A Retry-After is honoured within 1–2× the scheduled delay, so an endpoint can slow us but not stall us.
 */
export function nextRetryDelayMs(
  schedule: RetrySchedule,
  attempt: number,
  hint: FailureHint = {},
): number | undefined {
  const base = schedule.delaysMs[attempt - 1];
  if (base === undefined) return undefined;
  const jittered = base * (1 + schedule.jitter * (2 * schedule.random() - 1));
  let delay = jittered;
  if (hint.retryAfterMs !== undefined) delay = Math.min(Math.max(hint.retryAfterMs, jittered), 2 * jittered);
  if (hint.overloaded) delay = Math.max(delay, schedule.minDelayAfterOverloadMs);
  return Math.round(delay);
}

/** Retry-After as seconds or an HTTP date, in milliseconds from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: Date): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * SECOND;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}
