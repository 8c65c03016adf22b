import { GetCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { decodeCursor, encodeCursor, tenantIdKey } from '../cursor.js';
import type { LinkMethod, SessionState } from '../domain.js';
import { isConditionFailure, type StoreDeps, tableName } from './table-names.js';

export interface SessionRow {
  tenantId: string;
  shard: number;
  status: SessionState;
  desired: 'running' | 'stopped';
  method?: LinkMethod;
  phoneNumber?: string;
  qr?: string;
  qrAttempt?: number;
  qrExpiresAt?: string;
  pairingCode?: string;
  pairingCodeExpiresAt?: string;
  /** Fence generation of the owner that wrote last; a former owner's writes are refused. */
  epoch: number;
  owner?: string;
  user?: { id: string; name?: string };
  connectedAt?: string;
  /** When the connected socket last received anything (written at most once per health-check interval). */
  lastSeenAt?: string;
  lastDisconnect?: { code?: number; reason: string; at: string };
  reconnectAttempts: number;
  sentCount: number;
  receivedCount: number;
  failedCount: number;
  reconnectCount: number;
  lastContactCheck?: ContactCheck;
  createdAt: string;
  updatedAt: string;
}

export interface ContactCheck {
  requestId: string;
  phone: string;
  exists: boolean;
  jid?: string;
  checkedAt: string;
}

export type SessionCounter = 'sentCount' | 'receivedCount' | 'failedCount' | 'reconnectCount';

/** What the socket host reports; `epoch` guards the write against a former owner. */
export interface StatusUpdate {
  status: SessionState;
  epoch: number;
  owner?: string;
  user?: SessionRow['user'];
  connectedAt?: string | null;
  lastDisconnect?: SessionRow['lastDisconnect'] | null;
  reconnectAttempts?: number;
  /** Drops an outstanding QR and pairing code (linked, stopped, logged out). */
  clearLinkCodes?: boolean;
}

export type StaleEpoch = { written: false; reason: 'stale-epoch' };
export type Written = { written: true };

export interface SessionStore {
  /** The tenant's session; undefined when it has none (a row holding only counters is none). */
  find(tenantId: string): Promise<SessionRow | undefined>;
  /**
   * What the status and metrics routes show: the session, or a `stopped` stand-in carrying any
   * counters recorded while the tenant had no session (`exists: false`).
   */
  view(tenantId: string): Promise<{ row: SessionRow; exists: boolean }>;
  /** Creates the row as `stopped` when missing; returns the row. */
  ensure(tenantId: string, shard: number): Promise<SessionRow>;
  setDesired(
    tenantId: string,
    desired: SessionRow['desired'],
    link?: { method: LinkMethod; phoneNumber?: string },
  ): Promise<void>;
  /** Sessions only: rows holding only counters are skipped. */
  list(cursor?: string): Promise<{ items: SessionRow[]; cursor?: string }>;
  listByShard(shard: number): Promise<SessionRow[]>;
  updateStatus(tenantId: string, update: StatusUpdate): Promise<Written | StaleEpoch>;
  setQr(
    tenantId: string,
    qr: { qr: string; attempt: number; expiresAt: string; epoch: number },
  ): Promise<Written | StaleEpoch>;
  setPairingCode(
    tenantId: string,
    code: { code: string; phoneNumber: string; expiresAt: string; epoch: number },
  ): Promise<Written | StaleEpoch>;
  /** Counts whether or not the tenant has a session: without one, the row holds only counters. */
  incrementCounter(tenantId: string, counter: SessionCounter, by?: number): Promise<void>;
  /** The health check's sign of life from the socket, fenced like every status write. */
  setLastSeen(tenantId: string, seen: { lastSeenAt: string; epoch: number }): Promise<Written | StaleEpoch>;
  setContactCheck(tenantId: string, check: ContactCheck): Promise<void>;
}

const LIST_SCOPE = 'sessions';
const listCursorKey = z.strictObject({ tenantId: tenantIdKey });

export function createSessionStore(deps: StoreDeps): SessionStore {
  const { dynamo } = deps;
  const TableName = tableName(deps.config, 'sessions');
  const now = () => (deps.now ?? (() => new Date()))().toISOString();

  /** A session row has a status (`ensure` sets it); a row without one holds only counters. */
  const read = async (tenantId: string) => {
    const { Item } = await dynamo.send(
      new GetCommand({ TableName, Key: { tenantId }, ConsistentRead: true }),
    );
    return Item as Partial<SessionRow> | undefined;
  };
  const find = async (tenantId: string) => {
    const item = await read(tenantId);
    return item?.status === undefined ? undefined : (item as SessionRow);
  };

  /** SET the given attributes if the row's epoch is not newer than ours. */
  const fencedSet = async (
    tenantId: string,
    epoch: number,
    attributes: Record<string, unknown>,
    remove: string[] = [],
  ): Promise<Written | StaleEpoch> => {
    const names: Record<string, string> = { '#epoch': 'epoch', '#sessionStatus': 'status' };
    const values: Record<string, unknown> = { ':epoch': epoch };
    const sets = ['#epoch = :epoch'];
    for (const [key, value] of Object.entries({ ...attributes, updatedAt: now() })) {
      if (value === undefined) continue;
      names[`#${key}`] = key;
      values[`:${key}`] = value;
      sets.push(`#${key} = :${key}`);
    }
    for (const key of remove) names[`#${key}`] = key;
    try {
      await dynamo.send(
        new UpdateCommand({
          TableName,
          Key: { tenantId },
          UpdateExpression: `SET ${sets.join(', ')}${remove.length ? ` REMOVE ${remove.map((k) => `#${k}`).join(', ')}` : ''}`,
          // A session row, not one holding only counters, written by no newer owner.
          ConditionExpression:
            'attribute_exists(#sessionStatus) AND (attribute_not_exists(#epoch) OR #epoch <= :epoch)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return { written: true };
    } catch (error) {
      if (isConditionFailure(error)) return { written: false, reason: 'stale-epoch' };
      throw error;
    }
  };

  return {
    find,
    async view(tenantId) {
      const item = await read(tenantId);
      if (item?.status !== undefined) return { row: item as SessionRow, exists: true };
      const counter = (name: SessionCounter) => item?.[name] ?? 0;
      const row: SessionRow = {
        tenantId,
        shard: 0,
        status: 'stopped',
        desired: 'stopped',
        epoch: 0,
        reconnectAttempts: 0,
        sentCount: counter('sentCount'),
        receivedCount: counter('receivedCount'),
        failedCount: counter('failedCount'),
        reconnectCount: counter('reconnectCount'),
        createdAt: '',
        updatedAt: '',
      };
      return { row, exists: false };
    },
    async ensure(tenantId, shard) {
      const at = now();
      const { Attributes } = await dynamo.send(
        new UpdateCommand({
          TableName,
          Key: { tenantId },
          UpdateExpression:
            'SET #shard = :shard, #status = if_not_exists(#status, :stopped), desired = if_not_exists(desired, :stoppedDesired), ' +
            'epoch = if_not_exists(epoch, :zero), reconnectAttempts = if_not_exists(reconnectAttempts, :zero), ' +
            'sentCount = if_not_exists(sentCount, :zero), receivedCount = if_not_exists(receivedCount, :zero), ' +
            'failedCount = if_not_exists(failedCount, :zero), reconnectCount = if_not_exists(reconnectCount, :zero), ' +
            'createdAt = if_not_exists(createdAt, :at), updatedAt = if_not_exists(updatedAt, :at)',
          ExpressionAttributeNames: { '#status': 'status', '#shard': 'shard' },
          ExpressionAttributeValues: {
            ':shard': shard,
            ':stopped': 'stopped',
            ':stoppedDesired': 'stopped',
            ':zero': 0,
            ':at': at,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes as SessionRow;
    },
    async setDesired(tenantId, desired, link) {
      const values: Record<string, unknown> = { ':desired': desired, ':at': now() };
      const sets = ['desired = :desired', 'updatedAt = :at'];
      const removes: string[] = [];
      if (link) {
        sets.push('#method = :method');
        values[':method'] = link.method;
        if (link.phoneNumber) {
          sets.push('phoneNumber = :phone');
          values[':phone'] = link.phoneNumber;
        } else removes.push('phoneNumber');
      }
      await dynamo.send(
        new UpdateCommand({
          TableName,
          Key: { tenantId },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: 'attribute_exists(tenantId)',
          ExpressionAttributeNames: link ? { '#method': 'method' } : undefined,
          ExpressionAttributeValues: values,
        }),
      );
    },
    async list(cursor) {
      const { Items, LastEvaluatedKey } = await dynamo.send(
        new ScanCommand({
          TableName,
          Limit: 500,
          FilterExpression: 'attribute_exists(#status)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExclusiveStartKey: decodeCursor(LIST_SCOPE, cursor, listCursorKey),
        }),
      );
      return {
        items: (Items ?? []) as SessionRow[],
        cursor: encodeCursor(LIST_SCOPE, LastEvaluatedKey),
      };
    },
    async listByShard(shard) {
      const rows: SessionRow[] = [];
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await dynamo.send(
          new QueryCommand({
            TableName,
            IndexName: 'byShard',
            KeyConditionExpression: '#shard = :shard',
            ExpressionAttributeNames: { '#shard': 'shard' },
            ExpressionAttributeValues: { ':shard': shard },
            ExclusiveStartKey,
          }),
        );
        rows.push(...((page.Items ?? []) as SessionRow[]));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      return rows;
    },
    updateStatus(tenantId, update) {
      const remove: string[] = [];
      if (update.connectedAt === null) remove.push('connectedAt');
      if (update.lastDisconnect === null) remove.push('lastDisconnect');
      if (update.clearLinkCodes)
        remove.push('qr', 'qrAttempt', 'qrExpiresAt', 'pairingCode', 'pairingCodeExpiresAt');
      return fencedSet(
        tenantId,
        update.epoch,
        {
          status: update.status,
          owner: update.owner,
          user: update.user,
          connectedAt: update.connectedAt ?? undefined,
          lastDisconnect: update.lastDisconnect ?? undefined,
          reconnectAttempts: update.reconnectAttempts,
        },
        remove,
      );
    },
    setQr(tenantId, { qr, attempt, expiresAt, epoch }) {
      return fencedSet(tenantId, epoch, { qr, qrAttempt: attempt, qrExpiresAt: expiresAt, status: 'qr' });
    },
    setPairingCode(tenantId, { code, phoneNumber, expiresAt, epoch }) {
      return fencedSet(tenantId, epoch, {
        pairingCode: code,
        pairingCodeExpiresAt: expiresAt,
        phoneNumber,
        status: 'pairing',
      });
    },
    async incrementCounter(tenantId, counter, by = 1) {
      await dynamo.send(
        new UpdateCommand({
          TableName,
          Key: { tenantId },
          // No condition: a tenant without a session still counts (e.g. sends failed for want of one).
          UpdateExpression: 'ADD #c :by',
          ExpressionAttributeNames: { '#c': counter },
          ExpressionAttributeValues: { ':by': by },
        }),
      );
    },
    setLastSeen(tenantId, { lastSeenAt, epoch }) {
      return fencedSet(tenantId, epoch, { lastSeenAt });
    },
    async setContactCheck(tenantId, check) {
      await dynamo.send(
        new UpdateCommand({
          TableName,
          Key: { tenantId },
          UpdateExpression: 'SET lastContactCheck = :check',
          ConditionExpression: 'attribute_exists(tenantId)',
          ExpressionAttributeValues: { ':check': check },
        }),
      );
    },
  };
}
