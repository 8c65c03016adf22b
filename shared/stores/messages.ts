import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { MessageContent } from '../commands.js';
import { MESSAGE_STATUS_RANK, type MessageStatus } from '../domain.js';
import { NotFoundError, SessionError } from '../errors.js';
import type { EventData } from '../events.js';
import { epochSeconds, isConditionFailure, isExpired, type StoreDeps, tableName } from './table-names.js';

export interface MessageRow {
  tenantId: string;
  messageId: string;
  direction: 'outbound' | 'inbound';
  /** Outbound recipient, digits only. */
  to?: string;
  /** Inbound sender, digits only when known. */
  from?: string;
  chatJid?: string;
  content?: MessageContent;
  inbound?: Omit<EventData<'message.received'>, 'messageId'>;
  status: MessageStatus;
  statusHistory: { status: MessageStatus; at: string }[];
  error?: { code: string; message: string };
  /** The last send put on the wire, or about to be: written just before the send, by the owner's epoch. */
  sendAttempt?: SendAttempt;
  /** A send was repeated with the same id after one may already have left: the recipient may see it twice. */
  possibleDuplicate?: boolean;
  createdAt: string;
  updatedAt: string;
  expiresAt: number;
}

export interface SendAttempt {
  /** Fence generation of the session that sent. */
  epoch: number;
  at: string;
  count: number;
}

/**
 * `changed`: the status moved, and `reached` lists every step it moved through, in order (a
 * `delivered` recorded while still `queued` reached `sent` too).
 */
export type StatusChange = { changed: true; row: MessageRow; reached: MessageStatus[] } | { changed: false };

/**
 * What recording a send's intent found. `first`: nothing left before. `again`: an earlier attempt
 * may have reached WhatsApp, so this one is a possible duplicate (same id). `settled`: the message
 * is no longer queued (sent, delivered or failed). `superseded`: a newer owner has attempted it.
 */
export type SendStart =
  | { kind: 'first'; attempt: SendAttempt }
  | { kind: 'again'; attempt: SendAttempt }
  | { kind: 'settled'; status: MessageStatus }
  | { kind: 'superseded' };

/** The steps an outbound message goes through once WhatsApp has it, in order. */
const STEPS: MessageStatus[] = ['sent', 'delivered', 'read', 'played'];

export interface MessageStore {
  recordOutbound(
    tenantId: string,
    input: { messageId: string; to: string; content: MessageContent },
  ): Promise<MessageRow>;
  /** Records a received message once; a redelivered upsert is not recorded twice. Returns false if it existed. */
  recordInbound(tenantId: string, data: EventData<'message.received'>): Promise<boolean>;
  get(tenantId: string, messageId: string): Promise<MessageRow>;
  find(tenantId: string, messageId: string): Promise<MessageRow | undefined>;
  /**
   * Records, before a send, that it is about to leave, conditional on the message being queued and
   * on no newer owner (higher `epoch`) having attempted it. `seen` is the row as last read.
   */
  beginSend(tenantId: string, messageId: string, epoch: number, seen?: MessageRow): Promise<SendStart>;
  /** Takes back an intent whose send was refused before it left (best effort). */
  cancelSend(tenantId: string, messageId: string, attempt: SendAttempt): Promise<void>;
  /**
   * Moves status forward only (`read` is never undone by a late `delivered`), filling in the steps
   * it implies in the same write; `failed` (from `queued` only) records the reason.
   */
  advanceStatus(
    tenantId: string,
    messageId: string,
    status: MessageStatus,
    error?: { code: string; message: string },
  ): Promise<StatusChange>;
  listRecent(tenantId: string, limit?: number): Promise<MessageRow[]>;
}

export function createMessageStore(deps: StoreDeps & { retentionDays: number }): MessageStore {
  const { dynamo } = deps;
  const TableName = tableName(deps.config, 'messages');
  const now = deps.now ?? (() => new Date());
  const expiry = (at: Date) => epochSeconds(at) + deps.retentionDays * 86_400;

  const find = async (tenantId: string, messageId: string) => {
    const { Item } = await dynamo.send(
      new GetCommand({ TableName, Key: { tenantId, messageId }, ConsistentRead: true }),
    );
    const row = Item as MessageRow | undefined;
    return row && !isExpired(row, now()) ? row : undefined;
  };

  return {
    find,
    async get(tenantId, messageId) {
      const row = await find(tenantId, messageId);
      if (!row)
        throw new NotFoundError({ message: `Message ${messageId} not found`, details: { messageId } });
      return row;
    },
    async recordOutbound(tenantId, { messageId, to, content }) {
      const at = now();
      const row: MessageRow = {
        tenantId,
        messageId,
        direction: 'outbound',
        to,
        content,
        status: 'queued',
        statusHistory: [{ status: 'queued', at: at.toISOString() }],
        createdAt: at.toISOString(),
        updatedAt: at.toISOString(),
        expiresAt: expiry(at),
      };
      await dynamo.send(
        new PutCommand({ TableName, Item: row, ConditionExpression: 'attribute_not_exists(messageId)' }),
      );
      return row;
    },
    async recordInbound(tenantId, data) {
      const at = now();
      const { messageId, ...inbound } = data;
      const row: MessageRow = {
        tenantId,
        messageId,
        direction: 'inbound',
        from: data.from,
        chatJid: data.chatJid,
        inbound,
        status: 'delivered',
        statusHistory: [{ status: 'delivered', at: at.toISOString() }],
        createdAt: at.toISOString(),
        updatedAt: at.toISOString(),
        expiresAt: expiry(at),
      };
      try {
        await dynamo.send(
          new PutCommand({ TableName, Item: row, ConditionExpression: 'attribute_not_exists(messageId)' }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
    async beginSend(tenantId, messageId, epoch, seen) {
      let row = seen ?? (await find(tenantId, messageId));
      for (let tries = 0; tries < 4; tries++) {
        if (!row)
          throw new NotFoundError({ message: `Message ${messageId} not found`, details: { messageId } });
        if (row.status !== 'queued') return { kind: 'settled', status: row.status };
        const previous = row.sendAttempt;
        if (previous && previous.epoch > epoch) return { kind: 'superseded' };
        const attempt = { epoch, at: now().toISOString(), count: (previous?.count ?? 0) + 1 };
        try {
          await dynamo.send(
            new UpdateCommand({
              TableName,
              Key: { tenantId, messageId },
              UpdateExpression: `SET sendAttempt = :attempt${previous ? ', possibleDuplicate = :true' : ''}`,
              ConditionExpression: `#status = :queued AND ${previous ? 'sendAttempt.#at = :previousAt' : 'attribute_not_exists(sendAttempt)'}`,
              ExpressionAttributeNames: { '#status': 'status', ...(previous ? { '#at': 'at' } : {}) },
              ExpressionAttributeValues: {
                ':attempt': attempt,
                ':queued': 'queued',
                ...(previous ? { ':true': true, ':previousAt': previous.at } : {}),
              },
            }),
          );
          return { kind: previous ? 'again' : 'first', attempt };
        } catch (err) {
          if (!isConditionFailure(err)) throw err;
          row = await find(tenantId, messageId);
        }
      }
      throw new SessionError({ message: 'Message changed while its send was being recorded', retryAfter: 1 });
    },
    async cancelSend(tenantId, messageId, attempt) {
      // Only the first attempt is taken back: a repeat stays a possible duplicate of the one before.
      if (attempt.count !== 1) return;
      await dynamo
        .send(
          new UpdateCommand({
            TableName,
            Key: { tenantId, messageId },
            UpdateExpression: 'REMOVE sendAttempt',
            ConditionExpression: '#status = :queued AND sendAttempt.#at = :at',
            ExpressionAttributeNames: { '#status': 'status', '#at': 'at' },
            ExpressionAttributeValues: { ':queued': 'queued', ':at': attempt.at },
          }),
        )
        .catch((err) => {
          if (!isConditionFailure(err)) throw err;
        });
    },
    async advanceStatus(tenantId, messageId, status, error) {
      // Guess the common case (the step just before), then learn the truth from the row.
      let current: MessageStatus | undefined = status === 'failed' ? 'queued' : previousStep(status);
      let row: MessageRow | undefined;
      for (let tries = 0; tries < 4 && current; tries++) {
        const reached = stepsBetween(current, status);
        if (reached.length === 0) return { changed: false };
        // Never before the last step recorded, whatever this host's clock says.
        const last = row?.statusHistory.at(-1)?.at;
        const nowAt = now().toISOString();
        const at = last && last > nowAt ? last : nowAt;
        try {
          const { Attributes } = await dynamo.send(
            new UpdateCommand({
              TableName,
              Key: { tenantId, messageId },
              UpdateExpression: `SET #status = :status, statusHistory = list_append(statusHistory, :entries), updatedAt = :at${error ? ', #error = :error' : ''}`,
              ConditionExpression: '#status = :current',
              ExpressionAttributeNames: { '#status': 'status', ...(error ? { '#error': 'error' } : {}) },
              ExpressionAttributeValues: {
                ':status': status,
                ':current': current,
                ':entries': reached.map((step) => ({ status: step, at })),
                ':at': at,
                ...(error ? { ':error': error } : {}),
              },
              ReturnValues: 'ALL_NEW',
            }),
          );
          return { changed: true, row: Attributes as MessageRow, reached };
        } catch (err) {
          if (!isConditionFailure(err)) throw err;
          row = await find(tenantId, messageId);
          current = row?.direction === 'outbound' ? row.status : undefined;
        }
      }
      return { changed: false };
    },
    async listRecent(tenantId, limit = 50) {
      const { Items = [] } = await dynamo.send(
        new QueryCommand({
          TableName,
          IndexName: 'byCreatedAt',
          KeyConditionExpression: 'tenantId = :t',
          ExpressionAttributeValues: { ':t': tenantId },
          ScanIndexForward: false,
          Limit: limit,
        }),
      );
      return (Items as MessageRow[]).filter((row) => !isExpired(row, now()));
    },
  };
}

function previousStep(status: MessageStatus): MessageStatus {
  const index = STEPS.indexOf(status);
  return index > 0 ? (STEPS[index - 1] as MessageStatus) : 'queued';
}

/** The steps from just after `from` up to `to`; empty when `to` is not ahead of `from`. */
function stepsBetween(from: MessageStatus, to: MessageStatus): MessageStatus[] {
  if (to === 'failed') return from === 'queued' ? ['failed'] : [];
  if (from === 'failed') return [];
  const rank = MESSAGE_STATUS_RANK;
  return STEPS.filter((step) => rank[step] > rank[from] && rank[step] <= rank[to]);
}
