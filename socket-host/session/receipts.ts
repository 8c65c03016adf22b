import {
  type BinaryNode,
  getBinaryNodeChildren,
  getStatusFromReceiptType,
  isJidGroup,
  isJidStatusBroadcast,
  proto,
  type WAMessageKey,
} from '@whiskeysockets/baileys';
import pRetry from 'p-retry';
import type { Logger } from 'pino';
import type { OutboundStatus } from './message-status.js';
import type { Socket } from './socket-factory.js';

/** (id, status) pairs already recorded, so the raw receipt and Baileys' own event write once. */
const RECORDED_KEPT = 500;
/** Further tries of a status write after a transient DynamoDB error (the SDK has retried already). */
const STATUS_WRITE_RETRIES = 3;
/** How long a repeated send waits for the receipts WhatsApp held while nobody was connected. */
const PENDING_RECEIPTS_WAIT_MS = 5_000;

const { Status } = proto.WebMessageInfo;

/** Outbound status from a Baileys message status; undefined for what we do not record. */
export function outboundStatusOf(status: number | null | undefined): OutboundStatus | undefined {
  switch (status) {
    case Status.SERVER_ACK:
      return 'sent';
    case Status.DELIVERY_ACK:
      return 'delivered';
    case Status.READ:
      return 'read';
    case Status.PLAYED:
      return 'played';
    default:
      return undefined;
  }
}

/**
 * The statuses a raw `<receipt>` stanza reports for messages this account sent to one person:
 * delivery, read or played from the recipient. Receipts from our own devices, retries and group
 * or broadcast receipts are left to Baileys.
 */
export function receiptStatuses(node: BinaryNode): Array<[messageId: string, OutboundStatus]> {
  const { attrs } = node;
  if (attrs.recipient || !attrs.from || isJidGroup(attrs.from) || isJidStatusBroadcast(attrs.from)) return [];
  if (attrs.type !== undefined && attrs.type !== 'read' && attrs.type !== 'played') return [];
  const status = outboundStatusOf(getStatusFromReceiptType(attrs.type));
  if (!status) return [];
  const list = Array.isArray(node.content) ? node.content.find((child) => child.tag === 'list') : undefined;
  const ids = [attrs.id, ...(list ? getBinaryNodeChildren(list, 'item').map((item) => item.attrs.id) : [])];
  return ids.filter((id): id is string => Boolean(id)).map((id) => [id, status]);
}

/**
 * Records a session's outbound statuses as early as the host can. Baileys acknowledges a receipt
 * to WhatsApp before it emits `messages.update` (and holds the events of a reconnect until its
 * offline batch ends), and WhatsApp never sends an acknowledged receipt again; so the write starts
 * from the raw stanza, before Baileys' ack leaves, and Baileys' event only fills what the stanza
 * did not carry (the server ack, and statuses folded into a sent message's own upsert).
 */
export class ReceiptRecorder {
  private readonly recorded = new Set<string>();
  private readonly writing = new Set<Promise<void>>();
  /** Resolved once the current socket's pending notifications (offline receipts) were handled. */
  private caughtUp: { done: boolean; wake: Set<() => void> } = { done: false, wake: new Set() };

  constructor(
    private readonly deps: {
      log: Logger;
      advance(messageId: string, status: OutboundStatus): Promise<void>;
    },
  ) {}

  /** Listens to a new socket's receipts; `isCurrent` is false once the session moved to another socket. */
  attach(sock: Socket, isCurrent: () => boolean): void {
    const caughtUp = { done: false, wake: new Set<() => void>() };
    this.caughtUp = caughtUp;
    sock.ws.on('CB:receipt', (node: BinaryNode) => {
      if (isCurrent()) for (const [id, status] of receiptStatuses(node)) this.record(id, status);
    });
    sock.ev.on('messages.update', (updates) => {
      if (isCurrent()) for (const { key, update } of updates) this.fromBaileys(key, update.status);
    });
    sock.ev.on('connection.update', ({ receivedPendingNotifications }) => {
      if (!receivedPendingNotifications || caughtUp.done) return;
      caughtUp.done = true;
      for (const wake of caughtUp.wake) wake();
    });
  }

  /** A status Baileys reports on a message this account sent (an update, or its own upsert). */
  fromBaileys(key: WAMessageKey, status: number | null | undefined): void {
    const outbound = outboundStatusOf(status);
    if (key.fromMe && key.id && outbound) this.record(key.id, outbound);
  }

  /**
   * Resolves once the receipts WhatsApp held for this connection have arrived and every status
   * write started so far has settled; after a few seconds at most.
   */
  async settled(): Promise<void> {
    const caughtUp = this.caughtUp;
    if (!caughtUp.done) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          caughtUp.wake.delete(done);
          resolve();
        };
        const timer = setTimeout(done, PENDING_RECEIPTS_WAIT_MS);
        caughtUp.wake.add(done);
      });
    }
    await Promise.allSettled([...this.writing]);
  }

  private record(messageId: string, status: OutboundStatus): void {
    const key = `${messageId}:${status}`;
    if (this.recorded.has(key)) return;
    this.recorded.add(key);
    if (this.recorded.size > RECORDED_KEPT) this.recorded.delete(this.recorded.values().next().value ?? '');
    const write = pRetry(() => this.deps.advance(messageId, status), {
      retries: STATUS_WRITE_RETRIES,
      minTimeout: 200,
    })
      .catch((error) => {
        // Lost for good: WhatsApp will not send this receipt again.
        this.recorded.delete(key);
        this.deps.log.error({ err: error, messageId, status }, 'message status not recorded');
      })
      .finally(() => this.writing.delete(write));
    this.writing.add(write);
  }
}
