import { DisconnectReason } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import { backoffDelay, type CloseContext, decide } from '../../socket-host/session/reconnect-policy.js';

const backoff = { baseDelayMs: 1000, maxDelayMs: 60_000, maxAttempts: 5, random: () => 0.5 };
const close = (code: number | undefined, extra: Partial<CloseContext> = {}): CloseContext => ({
  code,
  attempts: 0,
  firstConnectAfterPairing: false,
  suspectLogoutRetried: false,
  closedByUs: false,
  ...extra,
});

describe('reconnect policy (architecture §7)', () => {
  it('reconnects at once on 515, without counting an attempt', () => {
    expect(decide(close(DisconnectReason.restartRequired), backoff)).toEqual({
      action: 'reconnect',
      delayMs: 0,
      countsAsAttempt: false,
      reason: 'restartRequired',
    });
  });

  it.each([408, 428, 500, 503, undefined])('backs off exponentially on transient %s', (code) => {
    const first = decide(close(code), backoff);
    const third = decide(close(code, { attempts: 2 }), backoff);
    expect(first).toMatchObject({ action: 'reconnect', delayMs: 1000, countsAsAttempt: true });
    expect(third).toMatchObject({ action: 'reconnect', delayMs: 4000 });
  });

  it('fails after the configured attempts', () => {
    expect(decide(close(503, { attempts: 5 }), backoff)).toEqual({
      action: 'failed',
      reason: 'unavailableService_retries_exhausted',
    });
  });

  it('caps the delay and jitters it by ±25 %', () => {
    expect(backoffDelay(20, { ...backoff, random: () => 0 })).toBe(45_000);
    expect(backoffDelay(20, { ...backoff, random: () => 1 })).toBe(75_000);
  });

  it('treats 401 as a logout, except once in the first login after pairing', () => {
    expect(decide(close(401), backoff)).toEqual({ action: 'logged_out', reason: 'loggedOut' });
    expect(decide(close(401, { firstConnectAfterPairing: true }), backoff)).toMatchObject({
      action: 'reconnect',
      reason: 'suspect_logout_after_pairing',
    });
    expect(
      decide(close(401, { firstConnectAfterPairing: true, suspectLogoutRetried: true }), backoff),
    ).toEqual({ action: 'logged_out', reason: 'loggedOut' });
  });

  it('stops on 440 and fails on 403 and 411', () => {
    expect(decide(close(440), backoff)).toEqual({ action: 'stop', reason: 'connectionReplaced' });
    expect(decide(close(403), backoff)).toEqual({ action: 'failed', reason: 'forbidden' });
    expect(decide(close(411), backoff)).toEqual({ action: 'failed', reason: 'multideviceMismatch' });
  });

  it('never reconnects a session closed on purpose', () => {
    expect(decide(close(503, { closedByUs: true }), backoff)).toEqual({ action: 'stop', reason: 'stopped' });
  });
});
