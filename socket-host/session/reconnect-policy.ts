import { DisconnectReason } from '@whiskeysockets/baileys';

/**
 * What to do when a tenant's socket closes, by Baileys' DisconnectReason (architecture §7 and §12).
 * Pure, so every branch is tested without a socket.
 */
export type Decision =
  | { action: 'reconnect'; delayMs: number; countsAsAttempt: boolean; reason: string }
  | { action: 'logged_out'; reason: string }
  | { action: 'stop'; reason: string }
  | { action: 'failed'; reason: string };

export interface CloseContext {
  /** Baileys' status code; undefined for a network error without one. */
  code: number | undefined;
  /** Transient reconnects so far since the last `open`. */
  attempts: number;
  /** The connection that closed was the first login after pairing (or its retry), not yet opened. */
  firstConnectAfterPairing: boolean;
  /** A suspect 401 right after pairing was already retried once. */
  suspectLogoutRetried: boolean;
  /** The session was closed on purpose (stop, lease lost, shutdown): never reconnect. */
  closedByUs: boolean;
}

export interface BackoffSettings {
  baseDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
  /** 0..1 source for jitter; injectable for tests. */
  random?: () => number;
}

const reasonName = (code: number | undefined): string =>
  code === undefined ? 'network' : (DisconnectReason[code] ?? `code_${code}`);

export function decide(ctx: CloseContext, backoff: BackoffSettings): Decision {
  const reason = reasonName(ctx.code);
  if (ctx.closedByUs) return { action: 'stop', reason: 'stopped' };
  switch (ctx.code) {
    case DisconnectReason.restartRequired:
      // Sent right after pairing and now and then by the server: reconnect at once.
      return { action: 'reconnect', delayMs: 0, countsAsAttempt: false, reason };
    case DisconnectReason.loggedOut:
      // A 401 in the first login after pairing has wrongly erased fresh links elsewhere: retry once.
      if (ctx.firstConnectAfterPairing && !ctx.suspectLogoutRetried) {
        return {
          action: 'reconnect',
          delayMs: 0,
          countsAsAttempt: false,
          reason: 'suspect_logout_after_pairing',
        };
      }
      return { action: 'logged_out', reason };
    case DisconnectReason.connectionReplaced:
      // Another connection holds the account; reconnecting would start a 440 loop.
      return { action: 'stop', reason };
    case DisconnectReason.forbidden:
    case DisconnectReason.multideviceMismatch:
      return { action: 'failed', reason };
    default: {
      if (ctx.attempts >= backoff.maxAttempts)
        return { action: 'failed', reason: `${reason}_retries_exhausted` };
      return {
        action: 'reconnect',
        delayMs: backoffDelay(ctx.attempts, backoff),
        countsAsAttempt: true,
        reason,
      };
    }
  }
}

/** Exponential backoff with ±25 % jitter, so a host's sessions do not reconnect in lockstep. */
export function backoffDelay(
  attempt: number,
  { baseDelayMs, maxDelayMs, random = Math.random }: BackoffSettings,
) {
  const exponential = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
  return Math.round(exponential * (0.75 + random() * 0.5));
}
