import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError, IdempotencyInProgressError } from '../errors.js';
import { epochSeconds, isConditionFailure, isExpired, type StoreDeps, tableName } from './table-names.js';

export interface StoredResponse {
  status: number;
  body: unknown;
}

/** The first caller claims the key; later callers with the same request get the stored answer. */
export type Claim = { claimed: true } | { claimed: false; response: StoredResponse };

interface IdempotencyItem {
  tenantId: string;
  idempotencyKey: string;
  requestHash: string;
  state: 'in-progress' | 'done';
  response?: StoredResponse;
  expiresAt: number;
}

/** An in-progress claim older than this is taken to be from a crashed request and may be retaken. */
const IN_PROGRESS_TIMEOUT_S = 30;

export const hashRequest = (parts: unknown): string =>
  createHash('sha256').update(JSON.stringify(parts)).digest('hex');

export interface IdempotencyStore {
  claim(tenantId: string, key: string, requestHash: string): Promise<Claim>;
  complete(tenantId: string, key: string, response: StoredResponse): Promise<void>;
  /** Frees the key after a failure, so a retry can run the request again. */
  release(tenantId: string, key: string): Promise<void>;
}

export function createIdempotencyStore(deps: StoreDeps & { ttlHours: number }): IdempotencyStore {
  const { dynamo } = deps;
  const TableName = tableName(deps.config, 'idempotency');
  const now = deps.now ?? (() => new Date());

  return {
    async claim(tenantId, idempotencyKey, requestHash) {
      const at = now();
      const item: IdempotencyItem = {
        tenantId,
        idempotencyKey,
        requestHash,
        state: 'in-progress',
        expiresAt: epochSeconds(at) + IN_PROGRESS_TIMEOUT_S,
      };
      try {
        await dynamo.send(
          new PutCommand({
            TableName,
            Item: item,
            // Free, or an expired record (DynamoDB deletes expired items late).
            ConditionExpression: 'attribute_not_exists(idempotencyKey) OR expiresAt <= :now',
            ExpressionAttributeValues: { ':now': epochSeconds(at) },
          }),
        );
        return { claimed: true };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      const { Item } = await dynamo.send(
        new GetCommand({ TableName, Key: { tenantId, idempotencyKey }, ConsistentRead: true }),
      );
      const existing = Item as IdempotencyItem | undefined;
      if (!existing || isExpired(existing, at)) return this.claim(tenantId, idempotencyKey, requestHash);
      if (existing.requestHash !== requestHash) {
        throw new ConflictError({
          message: 'Idempotency-Key was already used with a different request',
          details: { idempotencyKey },
        });
      }
      if (existing.state === 'in-progress' || !existing.response) {
        throw new IdempotencyInProgressError({ details: { idempotencyKey }, retryAfter: 1 });
      }
      return { claimed: false, response: existing.response };
    },
    async complete(tenantId, idempotencyKey, response) {
      await dynamo.send(
        new UpdateCommand({
          TableName,
          Key: { tenantId, idempotencyKey },
          UpdateExpression: 'SET #state = :done, #response = :response, expiresAt = :exp',
          ExpressionAttributeNames: { '#state': 'state', '#response': 'response' },
          ExpressionAttributeValues: {
            ':done': 'done',
            ':response': response,
            ':exp': epochSeconds(now()) + deps.ttlHours * 3600,
          },
        }),
      );
    },
    async release(tenantId, idempotencyKey) {
      await dynamo
        .send(
          new UpdateCommand({
            TableName,
            Key: { tenantId, idempotencyKey },
            UpdateExpression: 'SET expiresAt = :past',
            ConditionExpression: '#state = :inProgress',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':past': 0, ':inProgress': 'in-progress' },
          }),
        )
        .catch((error) => {
          if (!isConditionFailure(error)) throw error;
        });
    },
  };
}
