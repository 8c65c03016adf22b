import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { decodeCursor, encodeCursor, sortKeyString } from '../cursor.js';
import { ValidationError } from '../errors.js';
import type { EventType, WebhookEvent } from '../events.js';
import { isConditionFailure, isExpired, type StoreDeps, tableName } from './table-names.js';

/**
 * Every event emitted for a tenant (written `pending` by the event publisher), with its delivery
 * state. Long retry waits are parked here under the `byDue` index instead of in SQS (architecture §8).
 */

export const WEBHOOK_EVENT_STATUSES = ['pending', 'retrying', 'delivered', 'stored', 'failed'] as const;
export type WebhookEventStatus = (typeof WEBHOOK_EVENT_STATUSES)[number];

export type FailureReason = 'retries_exhausted' | 'endpoint_gone';

export interface WebhookEventRow {
  tenantId: string;
  eventId: string;
  eventType: EventType;
  createdAt: string;
  status: WebhookEventStatus;
  /** Attempts since the event was published or last replayed; raised by a conditional update per attempt. */
  attempts: number;
  event: WebhookEvent;
  expiresAt: number;
  lastAttemptAt?: string;
  lastStatusCode?: number;
  lastError?: string;
  nextAttemptAt?: string;
  deliveredAt?: string;
  failureReason?: FailureReason;
  /** Times the endpoint's open circuit breaker put it off; these use none of its attempts. */
  deferrals?: number;
  /** A worker is delivering it until then; a duplicate message finds it held. */
  inFlightUntil?: string;
  /** Present only while parked: the `byDue` index is sparse. */
  parked?: string;
  dueAt?: string;
}

export interface ListFilter {
  status?: WebhookEventStatus;
  eventType?: EventType;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

export interface WebhookEventStore {
  find(tenantId: string, eventId: string): Promise<WebhookEventRow | undefined>;
  /**
   * Takes the next attempt of an event that is due for delivery (pending or retrying, not parked, not
   * held by another worker) and holds it until `holdUntil`. Returns the attempt number, or undefined
   * when the event is finished, parked, unknown or in flight elsewhere (a duplicate queue message).
   */
  claimAttempt(tenantId: string, eventId: string, holdUntil: Date): Promise<number | undefined>;
  /** Keeps an undelivered event for replay (no enabled endpoint); false if it is not deliverable now. */
  markStored(tenantId: string, eventId: string): Promise<boolean>;
  recordOutcome(
    tenantId: string,
    eventId: string,
    outcome:
      | { status: 'delivered'; statusCode?: number }
      | { status: 'retrying'; nextAttemptAt: string; statusCode?: number; error?: string }
      | { status: 'failed'; reason: FailureReason; statusCode?: number; error?: string },
  ): Promise<void>;
  /**
   * Puts off an event without using an attempt (the endpoint's breaker is open): due again at `dueAt`,
   * parked for the sweeper when `park`, else the caller keeps the queue message invisible until then.
   * False when the event is not deliverable now (finished, parked, in flight elsewhere).
   */
  defer(tenantId: string, eventId: string, dueAt: string, options: { park: boolean }): Promise<boolean>;
  /** Parks a retry due at `dueAt` for the sweeper. */
  park(
    tenantId: string,
    eventId: string,
    dueAt: string,
    last: { statusCode?: number; error?: string },
  ): Promise<void>;
  /** Parked events due by `now`, oldest first. */
  listDue(now: Date, limit: number): Promise<WebhookEventRow[]>;
  /** Takes a parked event out of the index; false if another sweeper (or a replay) got there first. */
  unpark(tenantId: string, eventId: string, dueAt: string): Promise<boolean>;
  /** Newest first. */
  list(tenantId: string, filter: ListFilter): Promise<{ items: WebhookEventRow[]; cursor?: string }>;
  /** Back to `pending` with no attempts, for a replay. Undefined when the tenant has no such event. */
  resetForReplay(tenantId: string, eventId: string): Promise<WebhookEventRow | undefined>;
}

export const PARKED = 'due';

/** Deliverable now: not finished, not parked for the sweeper. */
const DELIVERABLE =
  'attribute_exists(eventId) AND #status IN (:pending, :retrying) AND attribute_not_exists(parked)';

/** A page of a tenant's events ends at a key of the `byCreatedAt` index: table key plus createdAt. */
const deliveryCursorKey = (tenantId: string) =>
  z.strictObject({ tenantId: z.literal(tenantId), eventId: sortKeyString, createdAt: z.iso.datetime() });
const deliveriesScope = (tenantId: string) => `webhook-deliveries:${tenantId}`;

export function createWebhookEventStore(deps: StoreDeps): WebhookEventStore {
  const { dynamo } = deps;
  const TableName = tableName(deps.config, 'webhookEvents');
  const now = deps.now ?? (() => new Date());

  const find = async (tenantId: string, eventId: string) => {
    const { Item } = await dynamo.send(
      new GetCommand({ TableName, Key: { tenantId, eventId }, ConsistentRead: true }),
    );
    const row = Item as WebhookEventRow | undefined;
    return row && !isExpired(row, now()) ? row : undefined;
  };

  /** SET the given attributes and REMOVE the others listed, on an existing row. */
  const update = async (
    tenantId: string,
    eventId: string,
    set: Record<string, unknown>,
    remove: string[] = [],
    condition = 'attribute_exists(eventId)',
    extraValues: Record<string, unknown> = {},
  ) => {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ...extraValues };
    const sets = Object.entries(set)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => {
        names[`#${k}`] = k;
        values[`:${k}`] = v;
        return `#${k} = :${k}`;
      });
    for (const k of remove) names[`#${k}`] = k;
    const removes = remove.map((k) => `#${k}`);
    return dynamo.send(
      new UpdateCommand({
        TableName,
        Key: { tenantId, eventId },
        UpdateExpression: [
          sets.length ? `SET ${sets.join(', ')}` : '',
          removes.length ? `REMOVE ${removes.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join(' '),
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: Object.keys(values).length ? values : undefined,
        ReturnValues: 'ALL_NEW',
      }),
    );
  };

  return {
    find,
    async claimAttempt(tenantId, eventId, holdUntil) {
      const at = now().toISOString();
      try {
        const { Attributes } = await dynamo.send(
          new UpdateCommand({
            TableName,
            Key: { tenantId, eventId },
            UpdateExpression: 'SET attempts = attempts + :one, lastAttemptAt = :at, inFlightUntil = :hold',
            ConditionExpression: `${DELIVERABLE} AND (attribute_not_exists(inFlightUntil) OR inFlightUntil < :at)`,
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':one': 1,
              ':at': at,
              ':hold': holdUntil.toISOString(),
              ':pending': 'pending',
              ':retrying': 'retrying',
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return (Attributes as WebhookEventRow).attempts;
      } catch (error) {
        if (isConditionFailure(error)) return undefined;
        throw error;
      }
    },
    async defer(tenantId, eventId, dueAt, { park }) {
      const at = now().toISOString();
      try {
        await dynamo.send(
          new UpdateCommand({
            TableName,
            Key: { tenantId, eventId },
            UpdateExpression: `SET nextAttemptAt = :due${park ? ', parked = :p, dueAt = :due' : ''} ADD deferrals :one`,
            ConditionExpression: `${DELIVERABLE} AND (attribute_not_exists(inFlightUntil) OR inFlightUntil < :at)`,
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':due': dueAt,
              ':one': 1,
              ':at': at,
              ':pending': 'pending',
              ':retrying': 'retrying',
              ...(park ? { ':p': PARKED } : {}),
            },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
    async markStored(tenantId, eventId) {
      try {
        await update(
          tenantId,
          eventId,
          { status: 'stored' },
          ['nextAttemptAt', 'inFlightUntil'],
          DELIVERABLE,
          {
            ':pending': 'pending',
            ':retrying': 'retrying',
          },
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
    async recordOutcome(tenantId, eventId, outcome) {
      const at = now().toISOString();
      switch (outcome.status) {
        case 'delivered':
          await update(
            tenantId,
            eventId,
            { status: 'delivered', deliveredAt: at, lastStatusCode: outcome.statusCode },
            ['lastError', 'nextAttemptAt', 'failureReason', 'inFlightUntil'],
          );
          return;
        case 'retrying':
          await update(
            tenantId,
            eventId,
            {
              status: 'retrying',
              nextAttemptAt: outcome.nextAttemptAt,
              lastStatusCode: outcome.statusCode,
              lastError: outcome.error,
            },
            ['inFlightUntil'],
          );
          return;
        case 'failed':
          await update(
            tenantId,
            eventId,
            {
              status: 'failed',
              failureReason: outcome.reason,
              lastStatusCode: outcome.statusCode,
              lastError: outcome.error,
            },
            ['nextAttemptAt', 'inFlightUntil'],
          );
          return;
      }
    },
    async park(tenantId, eventId, dueAt, last) {
      await update(
        tenantId,
        eventId,
        {
          status: 'retrying',
          parked: PARKED,
          dueAt,
          nextAttemptAt: dueAt,
          lastStatusCode: last.statusCode,
          lastError: last.error,
        },
        ['inFlightUntil'],
      );
    },
    async listDue(at, limit) {
      const { Items = [] } = await dynamo.send(
        new QueryCommand({
          TableName,
          IndexName: 'byDue',
          KeyConditionExpression: 'parked = :p AND dueAt <= :now',
          ExpressionAttributeValues: { ':p': PARKED, ':now': at.toISOString() },
          Limit: limit,
        }),
      );
      return Items as WebhookEventRow[];
    },
    async unpark(tenantId, eventId, dueAt) {
      try {
        await update(tenantId, eventId, {}, ['parked', 'dueAt'], 'parked = :p AND dueAt = :due', {
          ':p': PARKED,
          ':due': dueAt,
        });
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
    async list(tenantId, filter) {
      const names: Record<string, string> = { '#tenantId': 'tenantId' };
      const values: Record<string, unknown> = { ':t': tenantId };
      let key = '#tenantId = :t';
      if (filter.from && filter.to) {
        key += ' AND createdAt BETWEEN :from AND :to';
        values[':from'] = filter.from;
        values[':to'] = filter.to;
      } else if (filter.from) {
        key += ' AND createdAt >= :from';
        values[':from'] = filter.from;
      } else if (filter.to) {
        key += ' AND createdAt <= :to';
        values[':to'] = filter.to;
      }
      const filters: string[] = ['(attribute_not_exists(expiresAt) OR expiresAt > :nowEpoch)'];
      values[':nowEpoch'] = Math.floor(now().getTime() / 1000);
      if (filter.status) {
        filters.push('#status = :status');
        names['#status'] = 'status';
        values[':status'] = filter.status;
      }
      if (filter.eventType) {
        filters.push('eventType = :eventType');
        values[':eventType'] = filter.eventType;
      }
      const limit = filter.limit ?? 50;
      // A filter applies after the page is read, so read pages until `limit` rows match or the index ends.
      const items: WebhookEventRow[] = [];
      let startKey: Record<string, unknown> | undefined = decodeCursor(
        deliveriesScope(tenantId),
        filter.cursor,
        deliveryCursorKey(tenantId),
      );
      // DynamoDB refuses a starting key outside the range asked for: a cursor from another range is ours to refuse.
      const at = startKey?.createdAt as string | undefined;
      if (at && ((filter.from && at < filter.from) || (filter.to && at > filter.to))) {
        throw new ValidationError({
          message: 'Invalid cursor: it belongs to another time range',
          details: { field: 'cursor' },
        });
      }
      do {
        const { Items = [], LastEvaluatedKey } = await dynamo.send(
          new QueryCommand({
            TableName,
            IndexName: 'byCreatedAt',
            KeyConditionExpression: key,
            FilterExpression: filters.join(' AND '),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ScanIndexForward: false,
            Limit: limit - items.length,
            ExclusiveStartKey: startKey,
          }),
        );
        items.push(...(Items as WebhookEventRow[]));
        startKey = LastEvaluatedKey;
      } while (startKey && items.length < limit);
      return { items, cursor: encodeCursor(deliveriesScope(tenantId), startKey) };
    },
    async resetForReplay(tenantId, eventId) {
      try {
        const { Attributes } = await update(tenantId, eventId, { status: 'pending', attempts: 0 }, [
          'parked',
          'dueAt',
          'nextAttemptAt',
          'failureReason',
          'deliveredAt',
          'deferrals',
        ]);
        const row = Attributes as WebhookEventRow;
        return isExpired(row, now()) ? undefined : row;
      } catch (error) {
        if (isConditionFailure(error)) return undefined;
        throw error;
      }
    },
  };
}
