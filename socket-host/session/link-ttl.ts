import type { AuthenticationCreds } from '@whiskeysockets/baileys';

/**
 * Whether the creds hold a finished link: the account identity the phone signs at pair-success.
 * Before that a session has only its own fresh keys (and, for a pairing code, the number it asked
 * for), which nobody else can use: a partial link.
 */
export const isLinked = (creds: AuthenticationCreds | undefined): boolean => Boolean(creds?.account);

export interface LinkDeadline {
  clear(): void;
}

/**
 * `SESSION_TTL`: a session that has not linked a phone within this long of its start is given up
 * (stopped, its partial auth state erased), so an abandoned QR or pairing code does not hold a
 * socket for ever. The deadline runs from the start in this host; reaching `connected` clears it.
 */
export function startLinkDeadline(ttlMs: number, expire: () => void): LinkDeadline {
  const timer = setTimeout(expire, ttlMs);
  timer.unref();
  return { clear: () => clearTimeout(timer) };
}
