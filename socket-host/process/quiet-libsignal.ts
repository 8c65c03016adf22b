import type { Logger } from '../../shared/logger.js';

/**
 * libsignal (Baileys' Signal implementation) writes to the console, and some of its lines print a
 * whole session record, private ratchet keys included ("Closing session: SessionEntry {…}"). In a
 * container, stdout is the log. This routes libsignal's known lines to pino as text only, at a
 * quiet level, and drops their arguments; every other console call is untouched.
 */
const LIBSIGNAL_LINES: Array<[RegExp, 'debug' | 'info' | 'warn']> = [
  [
    /^(Closing session|Opening session|Removing old closed session|Session already (closed|open)|Migrating session)/,
    'debug',
  ],
  [/^(Closing open session in favor|Decrypted message with closed session)/, 'info'],
  [
    /^(Failed to decrypt message|Session error:|V1 session storage migration error|WARNING: Expected pubkey)/,
    'warn',
  ],
];

let installed = false;

export function routeLibsignalConsole(log: Logger): void {
  if (installed) return;
  installed = true;
  const target = log.child({ component: 'libsignal' });
  for (const method of ['log', 'info', 'warn', 'error'] as const) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      const [first] = args;
      if (typeof first === 'string') {
        const match = LIBSIGNAL_LINES.find(([pattern]) => pattern.test(first));
        if (match) {
          // First line only: "Session error:" carries a stack, never the key material that follows.
          target[match[1]]({ line: first.split('\n')[0]?.slice(0, 200) }, 'libsignal');
          return;
        }
      }
      original(...args);
    };
  }
}
