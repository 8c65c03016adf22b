import { type BackoffSettings, type Decision, decide } from './reconnect-policy.js';

/**
 * A session's reconnect state between closes: attempts since the last open, the first-login-after-
 * pairing flags the policy reads, and the one back-off timer (`cancel()` is its stop path).
 */
export class Reconnects {
  attempts = 0;
  private firstConnectAfterPairing = false;
  private suspectLogoutRetried = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly backoff: BackoffSettings) {}

  /** A fresh start: attempts from zero, and no back-off left to open a second socket. */
  restart(): void {
    this.attempts = 0;
    this.cancel();
  }

  /** Baileys reported a new login: the next close may be the spurious 401 after pairing. */
  newLogin(): void {
    this.firstConnectAfterPairing = true;
  }

  opened(): void {
    this.attempts = 0;
    this.firstConnectAfterPairing = false;
    this.suspectLogoutRetried = false;
  }

  /** The policy's decision for a close; a reconnect it counts is counted here. */
  decide(code: number | undefined, closedByUs: boolean): Decision {
    const { attempts, firstConnectAfterPairing, suspectLogoutRetried } = this;
    const decision = decide(
      { code, attempts, firstConnectAfterPairing, suspectLogoutRetried, closedByUs },
      this.backoff,
    );
    if (decision.action === 'reconnect') {
      if (decision.reason === 'suspect_logout_after_pairing') this.suspectLogoutRetried = true;
      if (decision.countsAsAttempt) this.attempts += 1;
    }
    return decision;
  }

  schedule(delayMs: number, reconnect: () => void): void {
    this.cancel();
    this.timer = setTimeout(reconnect, delayMs);
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
