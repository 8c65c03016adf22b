import { randomUUID } from 'node:crypto';
import { type Config, loadConfig } from '../../shared/config.js';

/**
 * A Config pointed at the test servers (see setup-env.ts), with overrides such as
 * `{ SEND_MIN_INTERVAL_MS: '0' }` in the environment-variable vocabulary.
 */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ ...process.env, ...overrides });
}

/** A tenant id no other test uses, so tests share the servers without colliding. */
export function uniqueTenantId(label = 't'): string {
  return `${label}-${randomUUID().slice(0, 12)}`;
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 20_000, intervalMs = 50, message = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${message}`, { cause: lastError });
}

/** Resolves with `work`, or fails if it takes longer than `timeoutMs` (a deadline, not a sleep). */
export async function within<T>(work: Promise<T>, timeoutMs: number, message = 'work'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} took longer than ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
