import type { Logger } from 'pino';
import type { EventPublisher } from '../../shared/aws/event-publisher.js';
import type { Config } from '../../shared/config.js';
import type { LinkMethod, SessionState } from '../../shared/domain.js';
import { SessionError } from '../../shared/errors.js';
import type { SessionStore } from '../../shared/stores/sessions.js';
import type { Socket } from './socket-factory.js';

export interface LinkRequest {
  method: LinkMethod;
  phoneNumber?: string;
}

export interface LinkingDeps {
  config: Config;
  sessions: SessionStore;
  events: EventPublisher;
  /** Resolves when this host may ask WhatsApp for another pairing code (`rate-overlimit`). */
  pacePairingCode(): Promise<void>;
}

/** What linking needs of its session. */
export interface LinkingSession {
  readonly tenantId: string;
  readonly log: Logger;
  epoch(): number;
  status(): SessionState;
  setStatus(status: 'qr' | 'pairing'): Promise<void>;
  /** Stops the session for a reason linking gives (`qr_attempts_exhausted`). */
  giveUp(code: string, reason: string): Promise<void>;
}

/**
 * Linking a phone to an unlinked socket: the QR codes Baileys produces, and pairing codes asked
 * for instead. Each code is written to the session row (fenced by the epoch) and sent as an event.
 */
export class Linking {
  private request: LinkRequest = { method: 'qr' };
  private qrAttempts = 0;
  private pairingRequested = false;

  constructor(
    private readonly deps: LinkingDeps,
    private readonly session: LinkingSession,
  ) {}

  /** A fresh start: the link method asked for, no codes issued yet. */
  reset(request: LinkRequest): void {
    this.request = request;
    this.qrAttempts = 0;
    this.pairingRequested = false;
  }

  /** Asks WhatsApp for a pairing code for `phoneNumber` on the current (unlinked) socket. */
  async requestPairingCode(sock: Socket, phoneNumber: string): Promise<string> {
    if (sock.authState.creds.registered || sock.authState.creds.me) {
      throw new SessionError({ message: 'Session is already linked' });
    }
    const { config, sessions, events } = this.deps;
    const { tenantId, log } = this.session;
    this.pairingRequested = true;
    this.request = { method: 'pairing-code', phoneNumber };
    await this.deps.pacePairingCode();
    const code = await sock.requestPairingCode(phoneNumber);
    const expiresAt = new Date(Date.now() + config.pairingCodeTtlMs).toISOString();
    const epoch = this.session.epoch();
    const written = await sessions.setPairingCode(tenantId, { code, phoneNumber, expiresAt, epoch });
    if (written.written) {
      await this.session.setStatus('pairing');
      await events.publish(tenantId, 'session.pairing_code', { code, phoneNumber, expiresAt, epoch });
    }
    log.info({ event: 'pairing_code_issued' }, 'pairing code issued');
    return code;
  }

  async onQr(sock: Socket, qr: string): Promise<void> {
    const { phoneNumber } = this.request;
    if (this.request.method === 'pairing-code' && phoneNumber) {
      // The first QR means the socket is ready to register: ask for a code instead of showing QRs.
      if (!this.pairingRequested) await this.requestPairingCode(sock, phoneNumber);
      return;
    }
    if (this.pairingRequested) return;
    this.qrAttempts += 1;
    const attempt = this.qrAttempts;
    if (attempt > this.deps.config.maxQrAttempts) {
      this.session.log.info({ attempts: attempt - 1 }, 'QR codes unanswered; stopping');
      await this.session.giveUp(
        'qr_attempts_exhausted',
        'qr_attempts_exhausted: no QR code was scanned; request a pairing code instead',
      );
      return;
    }
    const { tenantId } = this.session;
    const expiresAt = new Date(Date.now() + this.deps.config.qrCodeTtlMs).toISOString();
    const epoch = this.session.epoch();
    const written = await this.deps.sessions.setQr(tenantId, { qr, attempt, expiresAt, epoch });
    if (!written.written) return;
    if (this.session.status() !== 'qr') await this.session.setStatus('qr');
    await this.deps.events.publish(tenantId, 'session.qr', { qr, attempt, expiresAt, epoch });
  }
}
