import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { MessageContent } from '../commands.js';
import { MESSAGE_STATUS_RANK, type MessageStatus } from '../domain.js';
import { NotFoundError } from '../errors.js';
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
  createdAt: string;
  updatedAt: string;
  expiresAt: number;
}

export type StatusChange = { changed: true; row: MessageRow } | { changed: false };

export interface MessageStore {
  recordOutbound(
    tenantId: string,
    input: { messageId: string; to: string; content: MessageContent },
  ): Promise<MessageRow>;
  /** Records a received message once; a redelivered upsert is not recorded twice. Returns false if it existed. */
  recordInbound(tenantId: string, data: EventData<'message.received'>): Promise<boolean>;
  get(tenantId: string, messageId: string): Promise<MessageRow>;
  find(tenantId: string, messageId: string): Promise<MessageRow | undefined>;
  /** Moves status forward only (`read` is never undone by a late `delivered`); `failed` records the reason. */
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
    async advanceStatus(tenantId, messageId, status, error) {
      const at = now().toISOString();
      const rank = MESSAGE_STATUS_RANK[status];
      // Only statuses ranked below the new one may be replaced; `failed` is terminal.
      const lower = Object.entries(MESSAGE_STATUS_RANK)
        .filter(([, r]) => r < rank)
        .map(([s]) => s);
      if (lower.length === 0) return { changed: false };
      const values: Record<string, unknown> = { ':status': status, ':entry': [{ status, at }], ':at': at };
      lower.forEach((s, i) => {
        values[`:s${i}`] = s;
      });
      try {
        const { Attributes } = await dynamo.send(
          new UpdateCommand({
            TableName,
            Key: { tenantId, messageId },
            UpdateExpression: `SET #status = :status, statusHistory = list_append(statusHistory, :entry), updatedAt = :at${error ? ', #error = :error' : ''}`,
            ConditionExpression: `attribute_exists(messageId) AND #status IN (${lower.map((_, i) => `:s${i}`).join(', ')})`,
            ExpressionAttributeNames: { '#status': 'status', ...(error ? { '#error': 'error' } : {}) },
            ExpressionAttributeValues: error ? { ...values, ':error': error } : values,
            ReturnValues: 'ALL_NEW',
          }),
        );
        return { changed: true, row: Attributes as MessageRow };
      } catch (err) {
        if (isConditionFailure(err)) return { changed: false };
        throw err;
      }
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
