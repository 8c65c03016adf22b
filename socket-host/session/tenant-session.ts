import type { S3Client } from '@aws-sdk/client-s3';
import type { AuthenticationCreds, ConnectionState } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { EventPublisher } from '../../shared/aws/event-publisher.js';
import type { MessageContent } from '../../shared/commands.js';
import type { Config } from '../../shared/config.js';
import type { SessionState } from '../../shared/domain.js';
import { SessionError, TimeoutError } from '../../shared/errors.js';
import type { Metrics } from '../../shared/metrics.js';
import type { TargetPolicy } from '../../shared/net/target-guard.js';
import type { MessageRow, MessageStore } from '../../shared/stores/messages.js';
import type { SessionStore } from '../../shared/stores/sessions.js';
import type { AuthStateRepository } from '../auth-state/dynamo-auth-state.js';
import { type Fence, FenceLostError } from '../auth-state/fence.js';
import type { SnapshotStore } from '../auth-state/snapshots.js';
import { serialQueue } from '../process/serial.js';
import type { WhatsAppEndpoint } from '../whatsapp/socket-options.js';
import { type HealthWatch, watchHealth } from './health-check.js';
import { handleInbound } from './inbound-handler.js';
import { isLinked, type LinkDeadline, startLinkDeadline } from './link-ttl.js';
import { Linking, type LinkRequest } from './linking.js';
import { advanceMessage, type OutboundStatus } from './message-status.js';
import { ReceiptRecorder } from './receipts.js';
import { Reconnects } from './reconnects.js';
import { Sender, type SendOutcome } from './sender.js';
import { SessionRecord } from './session-record.js';
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
  /** Resolves when this host may ask WhatsApp for another pairing code (architecture §12: `rate-overlimit`). */
  pacePairingCode(): Promise<void>;
  /** Raises the tenant's fence generation under this host's shard lease. */
  acquireFence(tenantId: string): Promise<Fence>;
  /** Where WhatsApp is: nothing in production, the simulator in demo mode and tests. */
  endpoint: WhatsAppEndpoint;
  /** True while the tenant's shard lease is safe to act on (monotonic clock); checked right before each send. */
  leaseValid(): boolean;
}

/** The session is not running in this host and will not come up by waiting: a permanent failure. */
export class SessionNotRunningError extends SessionError {}

/** What a status write says when the session has no socket any more and will not get one soon. */
const SOCKET_GONE = { clearLinkCodes: true, connectedAt: null } as const;

/** Another host owns the tenant now: what was asked is retried there, not failed here. */
const movedElsewhere = () =>
  new SessionError({ message: 'Session moved to another socket host', retryAfter: 2 });

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
 * policy (architecture §7), and the translation of what arrives into events. Every row write carries the
 * fence generation as the session epoch, so a former owner's late writes are refused.
 */
export class TenantSession {
  private sock: Socket | undefined;
  private fence: Fence | undefined;
  /** The creds of the socket last opened; Baileys updates the object in place. */
  private creds: AuthenticationCreds | undefined;
  /** The latest creds write; erasing waits for it, so nothing is written after the erase. */
  private credsSaved: Promise<void> = Promise.resolve();
  private health: HealthWatch | undefined;
  private linkDeadline: LinkDeadline | undefined;
  private readonly linking: Linking;
  private readonly record: SessionRecord;
  private readonly reconnects: Reconnects;
  private closing = false;
  /** Closed because another host took the tenant (lease or fence lost). */
  private handedOver = false;
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
    this.record = new SessionRecord(deps, {
      tenantId,
      log: this.log,
      fence: () => this.fence,
      onStale: () => this.closeQuietly('stale epoch on session row'),
    });
    this.reconnects = new Reconnects(deps.config.reconnect);
    this.linking = new Linking(deps, {
      tenantId,
      log: this.log,
      epoch: () => this.epoch,
      status: () => this.status,
      setStatus: (status) => this.record.setStatus(status),
      giveUp: (code, reason) => this.giveUp(code, reason, { erase: false }),
    });
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

  get status(): SessionState {
    return this.record.status;
  }

  get isActive(): boolean {
    return LIVE_STATES.has(this.status);
  }

  /** Starts (or resumes) the session; a running session asked for a pairing code requests one. */
  start(link: LinkRequest): Promise<void> {
    return this.run(() => this.startNow(link));
  }

  /**
   * Runs a start, stop, reconnect or link expiry in turn with the others. A refused fenced write
   * means another host owns the tenant: close here at once and let the caller retry there.
   */
  private run(task: () => Promise<void>): Promise<void> {
    return this.lifecycle(async () => {
      try {
        await task();
      } catch (error) {
        if (!(error instanceof FenceLostError)) throw error;
        this.onWriteFailure(error);
        throw movedElsewhere();
      }
    });
  }

  private async startNow(link: LinkRequest): Promise<void> {
    // Handed over: this object is done; the host makes a new session if the tenant comes back.
    if (this.handedOver) throw movedElsewhere();
    if (this.isActive && this.sock) {
      if (link.method === 'pairing-code' && link.phoneNumber && this.status !== 'connected') {
        await this.linking.requestPairingCode(this.sock, link.phoneNumber);
      }
      return;
    }
    this.closing = false;
    this.reconnects.restart();
    this.linking.reset(link);
    this.fence ??= await this.deps.acquireFence(this.tenantId);
    if (this.closing) return;
    await this.record.setStatus('starting', { reconnectAttempts: 0, lastDisconnect: null });
    if (this.closing) return;
    this.linkDeadline?.clear();
    this.linkDeadline = startLinkDeadline(this.deps.config.sessionTtlMs, () => {
      this.run(() => this.expireLink()).catch((error) => this.onWriteFailure(error));
    });
    await this.connect();
  }

  /** Ends the session on purpose. `logout` unlinks the device and erases the auth state. */
  stop(options: { logout: boolean; reason: string }): Promise<void> {
    // At once, not in turn: a connect under way or queued opens no socket.
    this.closing = true;
    this.reconnects.cancel();
    return this.run(() => this.stopNow(options));
  }

  private async stopNow(options: { logout: boolean; reason: string }): Promise<void> {
    // Handed over: the new owner stops it; writing here would only be refused again.
    if (this.handedOver) throw movedElsewhere();
    this.closing = true;
    this.fence ??= await this.deps.acquireFence(this.tenantId);
    const sock = this.shutDown();
    if (options.logout) {
      if (sock && this.status === 'connected') await sock.logout().catch(() => sock.end(undefined));
      else await sock?.end(undefined);
      await this.record.eraseAuthState('logout', this.credsSaved);
      await this.record.setStatus('logged_out', { ...SOCKET_GONE, reason: options.reason });
    } else {
      await sock?.end(undefined);
      await this.record.setStatus('stopped', { ...SOCKET_GONE, reason: options.reason });
    }
    this.end();
  }

  /** Closes the socket without logging out and without writing: the shard now belongs elsewhere. */
  async closeQuietly(reason: string): Promise<void> {
    this.handedOver = true;
    await this.shutDown()
      ?.end(undefined)
      .catch(() => undefined);
    this.log.info({ reason }, 'session closed without logout');
    this.record.status = 'stopped';
    this.end();
  }

  /** The reconnect timer's turn: a start, stop or hand-over since the close has the last word. */
  private async reconnect(): Promise<void> {
    if (this.closing || this.sock) return;
    await this.connect();
  }

  /** SESSION_TTL passed since the start: give up a link that never finished. */
  private async expireLink(): Promise<void> {
    // Ended otherwise (failed, stopped) or linked: nothing to give up.
    if (this.closing || !this.isActive || this.status === 'connected' || isLinked(this.creds)) return;
    this.log.info({ ttlMs: this.deps.config.sessionTtlMs }, 'no phone linked within SESSION_TTL; stopping');
    const reason = 'link_timeout: no phone was linked within SESSION_TTL; initialize again';
    await this.giveUp('link_timeout', reason, { erase: true });
  }

  /** Stops a session that did not link (QR codes unanswered, SESSION_TTL passed), with the reason. */
  private async giveUp(code: string, reason: string, { erase }: { erase: boolean }): Promise<void> {
    await this.shutDown()?.end(undefined);
    // A partial link (fresh keys, a pairing code's number) is of no use to anyone: nothing stays.
    if (erase) await this.record.eraseAuthState(code, this.credsSaved);
    const lastDisconnect = { reason: code, at: new Date().toISOString() };
    await this.record.setStatus('stopped', { ...SOCKET_GONE, reason, lastDisconnect });
    this.end();
  }

  /** No reconnect, no link deadline, no socket: returns the socket to end. */
  private shutDown(): Socket | undefined {
    this.closing = true;
    this.reconnects.cancel();
    this.linkDeadline?.clear();
    return this.dropSocket();
  }

  /** Forgets the socket (its events are ignored from now on) and stops watching its health. */
  private dropSocket(): Socket | undefined {
    const sock = this.sock;
    this.sock = undefined;
    this.health?.stop();
    this.health = undefined;
    return sock;
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
      if (this.handedOver) throw movedElsewhere();
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
    // Stopped or handed over while the auth state was read: open nothing.
    if (this.closing) return;
    this.creds = auth.state.creds;
    const sock = createSocket({
      config: this.deps.config,
      log: this.log,
      auth: auth.state,
      endpoint: this.deps.endpoint,
    });
    this.sock = sock;
    const current = () => this.sock === sock;

    sock.ev.on('creds.update', () => {
      this.credsSaved = auth.saveCreds().catch((error) => this.onWriteFailure(error));
    });
    sock.ev.on('connection.update', (update) => {
      if (current()) this.onConnectionUpdate(sock, update).catch((error) => this.onWriteFailure(error));
      // A socket this session let go of must not stay logged in: it would replace the next one (440).
      else if (update.connection === 'open') void sock.end(undefined);
    });
    this.receipts.attach(sock, current);
    sock.ev.on('messages.upsert', ({ messages, type }) => {
      if (!current()) return;
      for (const message of messages) {
        // Baileys folds receipts that arrive within ~100 ms of a send into the upsert of the sent
        // message itself, with no messages.update: read the status from there too.
        if (message.key.fromMe) this.receipts.fromBaileys(message.key, message.status);
        else if (type === 'notify')
          handleInbound(this.deps, { tenantId: this.tenantId, log: this.log, sock }, message).catch((e) =>
            this.onHandlerError(e),
          );
      }
    });
  }

  private async onConnectionUpdate(sock: Socket, update: Partial<ConnectionState>): Promise<void> {
    if (update.isNewLogin) {
      this.reconnects.newLogin();
      this.log.info('device linked');
    }
    if (update.qr) await this.linking.onQr(sock, update.qr);
    if (update.connection === 'open') await this.onOpen(sock);
    if (update.connection === 'close') {
      const error = update.lastDisconnect?.error as
        | { output?: { statusCode?: number }; message?: string }
        | undefined;
      await this.onClose(error?.output?.statusCode, error?.message);
    }
  }

  private async onOpen(sock: Socket): Promise<void> {
    this.linkDeadline?.clear();
    this.health?.stop();
    this.health = watchHealth(sock, {
      intervalMs: this.deps.config.healthCheckIntervalMs,
      log: this.log,
      onSeen: (at) => this.record.setLastSeen(at),
    });
    this.reconnects.opened();
    const me = sock.authState.creds.me;
    await this.record.setStatus('connected', {
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
    this.dropSocket();
    const decision = this.reconnects.decide(code, this.closing);
    const lastDisconnect = { code, reason: decision.reason, at: new Date().toISOString() };
    this.log.info(
      { code, decision: decision.action, reason: decision.reason, error: message },
      'connection closed',
    );
    switch (decision.action) {
      case 'reconnect': {
        if (decision.countsAsAttempt) {
          this.deps.metrics.count('Reconnects');
          await this.deps.sessions.incrementCounter(this.tenantId, 'reconnectCount');
        }
        const next: SessionState = decision.countsAsAttempt ? 'reconnecting' : 'connecting';
        const reconnectAttempts = this.reconnects.attempts;
        await this.record.setStatus(next, { lastDisconnect, reconnectAttempts });
        // In turn with starts and stops, so a stop or hand-over during the back-off opens nothing.
        this.reconnects.schedule(decision.delayMs, () => {
          this.run(() => this.reconnect()).catch((error) => this.onWriteFailure(error));
        });
        return;
      }
      case 'logged_out':
        await this.record.eraseAuthState(decision.reason, this.credsSaved);
        await this.record.setStatus('logged_out', {
          lastDisconnect,
          clearLinkCodes: true,
          connectedAt: null,
          reason: decision.reason,
        });
        return this.end();
      case 'failed':
        this.deps.metrics.count('SessionsFailed');
        await this.record.setStatus('failed', { lastDisconnect, connectedAt: null, reason: decision.reason });
        return this.end();
      case 'stop':
        if (!this.closing) {
          const { reason } = decision;
          await this.record.setStatus('stopped', { lastDisconnect, connectedAt: null, reason });
        }
        return this.end();
    }
  }

  advance(messageId: string, status: OutboundStatus, error?: { code: string; message: string }) {
    return advanceMessage(this.deps, this.tenantId, messageId, status, error);
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
