import { createHash } from 'node:crypto';

/**
 * Seeded identifiers so that a test run with the same seed sees the same phone numbers, LIDs and
 * message ids (keys stay random: Signal and Curve25519 draw from the OS generator).
 */
export interface IdSource {
  /** A 10-digit subscriber number under the simulator's fake country code 1555. */
  phoneNumber(): string;
  /** A 15-digit LID user part, the shape WhatsApp uses. */
  lidUser(): string;
  /** A message id in the WhatsApp Web style: 3EB0 followed by 18 hex characters. */
  messageId(): string;
  /** A short opaque token for QR refs and stanza ids. */
  token(bytes?: number): string;
}

export function createIdSource(seed: string): IdSource {
  let counter = 0;
  // sha256(seed ‖ counter) is a simple deterministic stream that needs no PRNG state to reason about.
  const next = (bytes: number): Buffer => {
    const out: Buffer[] = [];
    let have = 0;
    while (have < bytes) {
      const block = createHash('sha256').update(`${seed}:${counter++}`).digest();
      out.push(block);
      have += block.length;
    }
    return Buffer.concat(out).subarray(0, bytes);
  };
  const digits = (n: number): string => Array.from(next(n), (b) => String(b % 10)).join('');
  let phoneSerial = 0;
  return {
    phoneNumber: () => `1555${String(++phoneSerial).padStart(3, '0')}${digits(4)}`,
    lidUser: () => `${1 + (next(1)[0]! % 9)}${digits(14)}`,
    messageId: () => `3EB0${next(9).toString('hex').toUpperCase()}`,
    token: (bytes = 8) => next(bytes).toString('base64url'),
  };
}
