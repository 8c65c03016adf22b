import type { S3Client } from '@aws-sdk/client-s3';
import type { ConnectionState, WAMessage } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { EventPublisher } from '../../shared/aws/event-publisher.js';
import type { MessageContent } from '../../shared/commands.js';
import type { Config } from '../../shared/config.js';
import type { LinkMethod, SessionState } from '../../shared/domain.js';
import { SessionError, TimeoutError } from '../../shared/errors.js';
import type { Metrics } from '../../shared/metrics.js';
import type { TargetPolicy } from '../../shared/net/target-guard.js';
import type { MessageRow, MessageStore } from '../../shared/stores/messages.js';
import type { SessionStore, StatusUpdate } from '../../shared/stores/sessions.js';
import type { AuthStateRepository } from '../auth-state/dynamo-auth-state.js';
import { type Fence, FenceLostError } from '../auth-state/fence.js';
import type { SnapshotStore } from '../auth-state/snapshots.js';
import { serialQueue } from '../process/serial.js';
import type { WhatsAppEndpoint } from '../whatsapp/socket-options.js';
import { describeInbound, describeProtocol } from './inbound.js';
import { storeInboundMedia } from './inbound-media.js';
import { advanceMessage, type OutboundStatus } from './message-status.js';
import { ReceiptRecorder } from './receipts.js';
import { decide } from './reconnect-policy.js';
import { Sender, type SendOutcome } from './sender.js';
import { createSocket, type Socket } from './socket-factory.js';

export interface TenantSessionDeps {
  config: Config;
  log: Logger;
  sessions: SessionStore;
  messages: MessageStore;
  events: EventPublisher;
  authState: AuthStateRepository;
  snapshots: SnapshotStore;
  s3: S3Client;
  metrics: Metrics;
  mediaPolicy: TargetPolicy;
  /** Resolves when this host may ask WhatsApp for another pairing code (DESIGN §12: `rate-overlimit`). */
  pacePairingCode(): Promise<void>;
  /** Raises the tenant's fence generation under this host's shard lease. */
  acquireFence(tenantId: string): Promise<Fence>;
  /** Where WhatsApp is: nothing in production, the simulator in demo mode and tests. */
  endpoint: WhatsAppEndpoint;
  /** True while the tenant's shard lease is safe to act on (monotonic clock); checked right before each send. */
  leaseValid(): boolean;
}

export interface LinkRequest {
  method: LinkMethod;
  phoneNumber?: string;
}

/** The session is not running in this host and will not come up by waiting: a permanent failure. */
export class SessionNotRunningError extends SessionError {}

/**
 * The states in which a session holds or is working towards a socket. After a restart or takeover,
 * sessions in these states are resumed: they were live and nobody stopped them.
 */
export const LIVE_STATES: ReadonlySet<SessionState> = new Set([
  'starting',
  'qr',
  'pairing',
  'connecting',
  'connected',
  'reconnecting',
]);

/**
 * One tenant's WhatsApp connection in this host: the Baileys socket, its lifecycle and reconnect
 * policy (DESIGN §7), and the translation of what arrives into events. Every row write carries the
 * fence generation as the session epoch, so a former owner's late writes are refused.
 */
export class TenantSession {
  status: SessionState = 'stopped';
  private sock: Socket | undefined;
  private fence: Fence | undefined;
  private link: LinkRequest = { method: 'qr' };
  private attempts = 0;
  private qrAttempts = 0;
  private pairingRequested = false;
  private firstConnectAfterPairing = false;
  private suspectLogoutRetried = false;
  private closing = false;
  /** Closed because another host took the tenant (lease or fence lost). */
  private handedOver = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly sender: Sender;
  private readonly receipts: ReceiptRecorder;
  /** One start or stop at a time (commands and shard resumes may overlap). */
  private readonly lifecycle = serialQueue();
  private readonly waiters = new Set<() => void>();
  private readonly log: Logger;

  constructor(
    private readonly deps: TenantSessionDeps,
    readonly tenantId: string,
  ) {
    this.log = deps.log.child({ tenantId });
    this.receipts = new ReceiptRecorder({ log: this.log, advance: (id, status) => this.advance(id, status) });
    this.sender = new Sender(deps, {
      tenantId,
      epoch: () => this.epoch,
      waitUntilConnected: (ms) => this.waitUntilConnected(ms),
      receiptsSettled: () => this.receipts.settled(),
    });
  }

  get epoch(): number {
    return this.fence?.generation ?? 0;
  }

  get isActive(): boolean {
    return LIVE_STATES.has(this.status);
  }

  /** Starts (or resumes) the session; a running session asked for a pairing code requests one. */
  start(link: LinkRequest): Promise<void> {
    return this.lifecycle(() => this.startNow(link));
  }

  private async startNow(link: LinkRequest): Promise<void> {
    if (this.isActive && this.sock) {
      if (link.method === 'pairing-code' && link.phoneNumber && this.status !== 'connected') {
        this.link = link;
        await this.requestPairingCode(link.phoneNumber);
      }
      return;
    }
    this.link = link;
    this.closing = false;
    this.handedOver = false;
    this.attempts = 0;
    this.qrAttempts = 0;
    this.pairingRequested = false;
    this.fence ??= await this.deps.acquireFence(this.tenantId);
    await this.setStatus('starting', { reconnectAttempts: 0, lastDisconnect: null });
    await this.connect();
  }

  /** Asks WhatsApp for a pairing code for `phoneNumber` on the current (unlinked) socket. */
  async requestPairingCode(phoneNumber: string): Promise<string> {
    const sock = this.sock;
    if (!sock) throw new SessionError({ message: 'Session is not running' });
    if (sock.authState.creds.registered || sock.authState.creds.me) {
      throw new SessionError({ message: 'Session is already linked' });
    }
    this.pairingRequested = true;
    this.link = { method: 'pairing-code', phoneNumber };
    await this.deps.pacePairingCode();
    const code = await sock.requestPairingCode(phoneNumber);
    const expiresAt = new Date(Date.now() + this.deps.config.pairingCodeTtlMs).toISOString();
    const written = await this.deps.sessions.setPairingCode(this.tenantId, {
      code,
      phoneNumber,
      expiresAt,
      epoch: this.epoch,
    });
    if (written.written) {
      await this.setStatus('pairing');
      await this.deps.events.publish(this.tenantId, 'session.pairing_code', {
        code,
        phoneNumber,
        expiresAt,
        epoch: this.epoch,
      });
    }
    this.log.info({ event: 'pairing_code_issued' }, 'pairing code issued');
    return code;
  }

  /** Ends the session on purpose. `logout` unlinks the device and erases the auth state. */
  stop(options: { logout: boolean; reason: string }): Promise<void> {
    return this.lifecycle(() => this.stopNow(options));
  }

  private async stopNow(options: { logout: boolean; reason: string }): Promise<void> {
    this.closing = true;
    this.fence ??= await this.deps.acquireFence(this.tenantId);
    clearTimeout(this.reconnectTimer);
    const sock = this.sock;
    this.sock = undefined;
    if (options.logout) {
      if (sock && this.status === 'connected') await sock.logout().catch(() => sock.end(undefined));
      else await sock?.end(undefined);
      await this.eraseAuthState('logout');
      await this.setStatus('logged_out', { reason: options.reason, clearLinkCodes: true, connectedAt: null });
    } else {
      await sock?.end(undefined);
      await this.setStatus('stopped', { reason: options.reason, clearLinkCodes: true, connectedAt: null });
    }
    this.end();
  }

  /** Closes the socket without logging out and without writing: the shard now belongs elsewhere. */
  async closeQuietly(reason: string): Promise<void> {
    this.closing = true;
    this.handedOver = true;
    clearTimeout(this.reconnectTimer);
    const sock = this.sock;
    this.sock = undefined;
    await sock?.end(undefined).catch(() => undefined);
    this.log.info({ reason }, 'session closed without logout');
    this.status = 'stopped';
    this.end();
  }

  /** Sends with the API's message id, so a redelivered command is the same WhatsApp message. */
  send(messageId: string, to: string, content: MessageContent, seen?: MessageRow): Promise<SendOutcome> {
    return this.sender.send(messageId, to, content, seen);
  }

  async checkContact(phone: string): Promise<{ exists: boolean; jid?: string }> {
    const sock = await this.waitUntilConnected(20_000);
    const [result] = (await sock.onWhatsApp(phone)) ?? [];
    return result?.exists ? { exists: true, jid: result.jid } : { exists: false };
  }

  /** Resolves with the socket once connected; rejects with a retryable error on timeout. */
  async waitUntilConnected(timeoutMs: number): Promise<Socket> {
    const deadline = Date.now() + timeoutMs;
    while (!(this.status === 'connected' && this.sock)) {
      if (this.handedOver) {
        // Another host owns the tenant now: the command is retried there, not failed here.
        throw new SessionError({ message: 'Session moved to another socket host', retryAfter: 2 });
      }
      if (!this.isActive) throw new SessionNotRunningError({ message: `Session is ${this.status}` });
      const left = deadline - Date.now();
      if (left <= 0) throw new TimeoutError({ message: 'Session did not connect in time', retryAfter: 5 });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(done);
      });
    }
    return this.sock;
  }

  private async connect(): Promise<void> {
    const fence = this.fence;
    if (!fence || this.closing) return;
    const auth = await this.deps.authState.open(fence);
    const sock = createSocket({
      config: this.deps.config,
      log: this.log,
      auth: auth.state,
      endpoint: this.deps.endpoint,
    });
    this.sock = sock;
    const current = () => this.sock === sock;

    sock.ev.on('creds.update', () => {
      auth.saveCreds().catch((error) => this.onWriteFailure(error));
    });
    sock.ev.on('connection.update', (update) => {
      if (current()) this.onConnectionUpdate(sock, update).catch((error) => this.onWriteFailure(error));
    });
    this.receipts.attach(sock, current);
    sock.ev.on('messages.upsert', ({ messages, type }) => {
      if (!current()) return;
      for (const message of messages) {
        // Baileys folds receipts that arrive within ~100 ms of a send into the upsert of the sent
        // message itself, with no messages.update: read the status from there too.
        if (message.key.fromMe) this.receipts.fromBaileys(message.key, message.status);
        else if (type === 'notify') this.onInbound(sock, message).catch((e) => this.onHandlerError(e));
      }
    });
  }

  private async onConnectionUpdate(sock: Socket, update: Partial<ConnectionState>): Promise<void> {
    if (update.isNewLogin) {
      this.firstConnectAfterPairing = true;
      this.log.info('device linked');
    }
    if (update.qr) await this.onQr(sock, update.qr);
    if (update.connection === 'open') await this.onOpen(sock);
    if (update.connection === 'close') {
      const error = update.lastDisconnect?.error as
        | { output?: { statusCode?: number }; message?: string }
        | undefined;
      await this.onClose(error?.output?.statusCode, error?.message);
    }
  }

  private async onQr(sock: Socket, qr: string): Promise<void> {
    if (this.link.method === 'pairing-code' && this.link.phoneNumber) {
      // The first QR means the socket is ready to register: ask for a code instead of showing QRs.
      if (!this.pairingRequested) await this.requestPairingCode(this.link.phoneNumber);
      return;
    }
    if (this.pairingRequested) return;
    this.qrAttempts += 1;
    if (this.qrAttempts > this.deps.config.maxQrAttempts) {
      this.log.info({ attempts: this.qrAttempts - 1 }, 'QR codes unanswered; stopping');
      this.closing = true;
      this.sock = undefined;
      await sock.end(undefined);
      await this.setStatus('stopped', {
        reason: 'qr_attempts_exhausted: no QR code was scanned; request a pairing code instead',
        lastDisconnect: { reason: 'qr_attempts_exhausted', at: new Date().toISOString() },
        clearLinkCodes: true,
      });
      this.end();
      return;
    }
    const expiresAt = new Date(Date.now() + this.deps.config.qrCodeTtlMs).toISOString();
    const written = await this.deps.sessions.setQr(this.tenantId, {
      qr,
      attempt: this.qrAttempts,
      expiresAt,
      epoch: this.epoch,
    });
    if (!written.written) return;
    if (this.status !== 'qr') await this.setStatus('qr');
    await this.deps.events.publish(this.tenantId, 'session.qr', {
      qr,
      attempt: this.qrAttempts,
      expiresAt,
      epoch: this.epoch,
    });
  }

  private async onOpen(sock: Socket): Promise<void> {
    this.attempts = 0;
    this.firstConnectAfterPairing = false;
    this.suspectLogoutRetried = false;
    const me = sock.authState.creds.me;
    await this.setStatus('connected', {
      user: me ? { id: me.id, name: me.name ?? undefined } : undefined,
      connectedAt: new Date().toISOString(),
      reconnectAttempts: 0,
      clearLinkCodes: true,
    });
    this.deps.metrics.count('SessionsOpened');
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  private async onClose(code: number | undefined, message: string | undefined): Promise<void> {
    this.sock = undefined;
    const decision = decide(
      {
        code,
        attempts: this.attempts,
        firstConnectAfterPairing: this.firstConnectAfterPairing,
        suspectLogoutRetried: this.suspectLogoutRetried,
        closedByUs: this.closing,
      },
      this.deps.config.reconnect,
    );
    const lastDisconnect = { code, reason: decision.reason, at: new Date().toISOString() };
    this.log.info(
      { code, decision: decision.action, reason: decision.reason, error: message },
      'connection closed',
    );
    switch (decision.action) {
      case 'reconnect': {
        if (decision.reason === 'suspect_logout_after_pairing') this.suspectLogoutRetried = true;
        if (decision.countsAsAttempt) {
          this.attempts += 1;
          this.deps.metrics.count('Reconnects');
          await this.deps.sessions.incrementCounter(this.tenantId, 'reconnectCount');
        }
        const next: SessionState = decision.countsAsAttempt ? 'reconnecting' : 'connecting';
        await this.setStatus(next, { lastDisconnect, reconnectAttempts: this.attempts });
        this.reconnectTimer = setTimeout(() => {
          this.connect().catch((error) => this.onWriteFailure(error));
        }, decision.delayMs);
        return;
      }
      case 'logged_out':
        await this.eraseAuthState(decision.reason);
        await this.setStatus('logged_out', {
          lastDisconnect,
          clearLinkCodes: true,
          connectedAt: null,
          reason: decision.reason,
        });
        return this.end();
      case 'failed':
        this.deps.metrics.count('SessionsFailed');
        await this.setStatus('failed', { lastDisconnect, connectedAt: null, reason: decision.reason });
        return this.end();
      case 'stop':
        if (!this.closing) {
          await this.setStatus('stopped', { lastDisconnect, connectedAt: null, reason: decision.reason });
        }
        return this.end();
    }
  }

  private async onInbound(sock: Socket, message: WAMessage): Promise<void> {
    // A contact's edit or deletion of an earlier message is an event of its own, not a message.
    const change = describeProtocol(message);
    if (change) {
      await this.deps.events.publish(this.tenantId, change.type, change.data);
      return;
    }
    const view = describeInbound(message);
    if (!view) return;
    const data = view.data;
    if (view.media) {
      const stored = await storeInboundMedia(
        {
          s3: this.deps.s3,
          bucketName: this.deps.config.bucketName,
          download: this.deps.endpoint.mediaDownload,
          log: this.log,
        },
        sock,
        this.tenantId,
        message,
        { messageId: data.messageId, mimeType: view.media.mimeType },
      );
      data.media = { type: view.media.kind, ...view.media, ...stored };
    }
    const isNew = await this.deps.messages.recordInbound(this.tenantId, data);
    if (!isNew) return;
    this.deps.metrics.count('MessagesReceived');
    await Promise.all([
      this.deps.sessions.incrementCounter(this.tenantId, 'receivedCount'),
      this.deps.events.publish(this.tenantId, 'message.received', data),
    ]);
  }

  advance(messageId: string, status: OutboundStatus, error?: { code: string; message: string }) {
    return advanceMessage(this.deps, this.tenantId, messageId, status, error);
  }

  /** Snapshot first, so a wrong logout can be undone (DESIGN §12), then erase. */
  private async eraseAuthState(reason: string): Promise<void> {
    const fence = this.fence;
    if (!fence) return;
    try {
      await this.deps.snapshots.save(this.tenantId, `before-erase-${reason}`);
    } catch (error) {
      this.log.error({ err: error }, 'auth snapshot before erase failed');
    }
    const erased = await this.deps.authState.erase(fence);
    this.log.info({ erased, reason }, 'auth state erased');
  }

  private async setStatus(
    status: SessionState,
    extra: Omit<StatusUpdate, 'status' | 'epoch'> & { reason?: string } = {},
  ): Promise<void> {
    const previous = this.status;
    this.status = status;
    const { reason, ...update } = extra;
    const result = await this.deps.sessions.updateStatus(this.tenantId, {
      status,
      epoch: this.epoch,
      owner: this.fence?.owner,
      ...update,
    });
    if (!result.written) {
      // A newer owner exists: this host must let go (DESIGN §5).
      await this.closeQuietly('stale epoch on session row');
      return;
    }
    if (previous === status && !reason) return;
    await this.deps.events.publish(this.tenantId, 'session.status', {
      status,
      previousStatus: previous,
      reason: reason ?? update.lastDisconnect?.reason,
      epoch: this.epoch,
      user: update.user,
    });
  }

  private onWriteFailure(error: unknown): void {
    if (error instanceof FenceLostError) {
      this.log.error({ err: error }, 'auth-state fence lost: closing session');
      this.deps.metrics.count('FenceLost');
      void this.closeQuietly('fence lost');
      return;
    }
    this.log.error({ err: error }, 'session error');
  }

  private onHandlerError(error: unknown): void {
    if (error instanceof FenceLostError) this.onWriteFailure(error);
    else this.log.error({ err: error }, 'event handling failed');
  }

  private end(): void {
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }
}
