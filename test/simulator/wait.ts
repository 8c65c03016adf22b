import type { EventEmitter } from 'node:events';

const POLL_MS = 10;

/**
 * Resolves with the first truthy value of `check`, re-checking when `event` fires (if given) and
 * on a short poll, or rejects at the deadline. Tests use this instead of sleeping.
 */
export function waitUntil<T>(
  check: () => T | undefined | null | false,
  timeoutMs: number,
  what: string,
  // biome-ignore lint/suspicious/noExplicitAny: any emitter with string events will do
  emitter?: EventEmitter<any>,
  event?: string,
): Promise<T> {
  const first = check();
  if (first) return Promise.resolve(first);
  return new Promise<T>((resolve, reject) => {
    const finish = (settle: () => void) => {
      clearTimeout(deadline);
      clearInterval(poll);
      if (emitter && event) emitter.off(event, recheck);
      settle();
    };
    const recheck = () => {
      try {
        const value = check();
        if (value) finish(() => resolve(value));
      } catch (error) {
        finish(() => reject(error));
      }
    };
    const deadline = setTimeout(
      () => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))),
      timeoutMs,
    );
    const poll = setInterval(recheck, POLL_MS);
    if (emitter && event) emitter.on(event, recheck);
  });
}
