import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { MessageContent } from '../../shared/commands.js';
import type { Config } from '../../shared/config.js';
import { MessageSendError, SessionError } from '../../shared/errors.js';
import type { Metrics } from '../../shared/metrics.js';
import type { TargetPolicy } from '../../shared/net/target-guard.js';
import type { MessageRow, MessageStore } from '../../shared/stores/messages.js';
import { serialQueue } from '../process/serial.js';
import { buildContent } from './outbound-content.js';
import type { Socket } from './socket-factory.js';

/** Recently accepted message ids remembered per session (a few KB). */
const ACCEPTED_IDS_KEPT = 50;

/**
 * This host's shard lease may have lapsed (the host was frozen or could not renew): another host
 * may own the tenant now. Retryable: the command goes back to the queue, the message stays queued.
 */
export class LeaseLapsedError extends SessionError {}

export interface SenderDeps {
  config: Config;
  log: Logger;
  messages: MessageStore;
  metrics: Metrics;
  mediaPolicy: TargetPolicy;
  /** True while the tenant's shard lease is safe to act on, judged on the monotonic clock. */
  leaseValid(): boolean;
}

/** What the sender needs from its session. */
export interface SendingSession {
  readonly tenantId: string;
  /** The session's fence generation now. */
  epoch(): number;
  waitUntilConnected(timeoutMs: number): Promise<Socket>;
  /** Resolves once receipts WhatsApp held for this connection have been recorded (bounded). */
  receiptsSettled(): Promise<void>;
}

/**
 * `sent`: put on the wire now (`possibleDuplicate` when an earlier send may have left too).
 * `alreadyAccepted`: WhatsApp took it from this session before; not sent again. `settled`: the
 * message moved on without this send (a receipt proved an earlier one arrived, or it failed).
 */
export type SendOutcome =
  | { kind: 'sent'; possibleDuplicate: boolean }
  | { kind: 'alreadyAccepted' }
  | { kind: 'settled' };

/**
 * A session's outbound path: one send at a time, paced, with its intent recorded on the message
 * before it leaves (so a crash between WhatsApp's ack and the `sent` write is known to the next
 * owner) and the lease checked right before the wire.
 */
export class Sender {
  private lastSendAt = 0;
  private readonly queue = serialQueue();
  /**
   * Message ids WhatsApp accepted from this session. A command retried because a write after the
   * send failed finds its id here and is not sent a second time (nor marked a possible duplicate).
   */
  private readonly accepted = new Set<string>();
  private readonly log: Logger;

  constructor(
    private readonly deps: SenderDeps,
    private readonly session: SendingSession,
  ) {
    this.log = deps.log.child({ tenantId: session.tenantId });
  }

  /** Sends with the API's message id, so a repeated send is the same WhatsApp message. `seen` is the row as read. */
  send(messageId: string, to: string, content: MessageContent, seen?: MessageRow): Promise<SendOutcome> {
    return this.queue(async () => {
      if (this.accepted.has(messageId)) {
        this.log.info({ messageId }, 'already accepted by WhatsApp; not sent again');
        return { kind: 'alreadyAccepted' };
      }
      const sock = await this.session.waitUntilConnected(20_000);
      // Spaced by the configured minimum interval, to stay clear of WhatsApp's spam limits.
      const gap = this.deps.config.sendMinIntervalMs - (Date.now() - this.lastSendAt);
      if (gap > 0) await sleep(gap);
      const message = await buildContent(content, {
        policy: this.deps.mediaPolicy,
        maxBytes: this.deps.config.mediaMaxBytes,
      });
      // An earlier send may have left: a receipt WhatsApp still held for us proves it did.
      if (seen?.sendAttempt) await this.session.receiptsSettled();
      this.refuseIfLeaseLapsed(messageId);
      const { tenantId } = this.session;
      const start = await this.deps.messages.beginSend(tenantId, messageId, this.session.epoch(), seen);
      if (start.kind === 'settled') {
        this.log.info({ messageId, status: start.status }, 'message moved on before its send; not sent');
        return { kind: 'settled' };
      }
      if (start.kind === 'superseded') {
        throw new SessionError({ message: 'Session moved to another socket host', retryAfter: 2 });
      }
      // Nothing awaited between this check and the wire: a host frozen past its lease stops here.
      if (!this.deps.leaseValid()) {
        await this.deps.messages
          .cancelSend(tenantId, messageId, start.attempt)
          .catch((error) => this.log.warn({ err: error, messageId }, 'send intent not taken back'));
        this.refuseIfLeaseLapsed(messageId);
      }
      const possibleDuplicate = start.kind === 'again';
      if (possibleDuplicate) {
        this.log.warn(
          { messageId, attempt: start.attempt.count },
          'sending again: an earlier send may have left',
        );
      }
      const started = performance.now();
      try {
        await sock.sendMessage(`${to}@s.whatsapp.net`, message, { messageId });
      } catch (error) {
        throw new MessageSendError({ message: 'WhatsApp did not accept the message', cause: error });
      } finally {
        this.lastSendAt = Date.now();
      }
      this.remember(messageId);
      this.deps.metrics.timing('SendLatency', performance.now() - started);
      this.deps.metrics.count('MessagesSent');
      return { kind: 'sent', possibleDuplicate };
    });
  }

  private refuseIfLeaseLapsed(messageId: string): void {
    if (this.deps.leaseValid()) return;
    this.log.warn({ messageId }, 'shard lease may have lapsed; send refused');
    throw new LeaseLapsedError({ message: 'Shard lease may have lapsed; not sending', retryAfter: 2 });
  }

  private remember(messageId: string): void {
    this.accepted.add(messageId);
    // Insertion order makes the oldest id the first to go.
    if (this.accepted.size > ACCEPTED_IDS_KEPT)
      this.accepted.delete(this.accepted.values().next().value ?? '');
  }
}
