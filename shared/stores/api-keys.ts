import { createHash, randomBytes } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../errors.js';
import { epochSeconds, isConditionFailure, isExpired, type StoreDeps, tableName } from './table-names.js';

export type Principal = { role: 'admin'; tenantId?: undefined } | { role: 'tenant'; tenantId: string };

interface ApiKeyItem {
  keyHash: string;
  role: 'tenant' | 'admin';
  tenantId: string;
  createdAt: string;
  expiresAt?: number;
}

/** Keys are stored only as SHA-256 hashes (architecture §3); the key itself is shown once. */
export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');

const newKey = (): string => `wfk_${randomBytes(24).toString('base64url')}`;

/** After a rotation the old key keeps working this long, so clients can roll over. */
export const API_KEY_GRACE_MS = 60 * 60 * 1000;

/** Attempts a rotation makes when concurrent rotations keep winning the race, before answering 409. */
const ROTATION_ATTEMPTS = 5;

export interface ApiKeyStore {
  /** Creates a tenant key, makes it the tenant's current one, and returns it; only its hash is kept. */
  issue(tenantId: string): Promise<string>;
  /** Registers an admin key (local start-up, or the key from Secrets Manager). */
  registerAdmin(key: string): Promise<void>;
  resolve(key: string): Promise<Principal | undefined>;
  /**
   * A new key now; the tenant's other keys expire after API_KEY_GRACE_MS. Concurrent rotations are
   * serialized, so exactly one key is left without an expiry.
   */
  rotate(tenantId: string): Promise<string>;
}

/**
 * Each tenant has one pointer item naming its current key. A new key is written together with the
 * pointer, conditionally on the pointer being unchanged since it was read, and a key is expired only
 * while the pointer names another: so a key that was ever current is expired by its successor, and
 * the current key never is. (Its `keyHash` is no SHA-256 hex, so no bearer key resolves to it, and
 * without `tenantId` it stays out of the `byTenant` index.)
 */
interface CurrentKeyPointer {
  keyHash: string;
  currentKeyHash: string;
}
const pointerHash = (tenantId: string) => `current#${tenantId}`;

/**
 * Why a transaction was refused: a condition (the pointer moved, the key is current) or a
 * concurrent transaction on the same item, which DynamoDB cancels rather than queues. Both mean
 * "read again and retry"; anything else is a real failure.
 */
const refusal = (error: unknown): 'condition' | 'conflict' | undefined => {
  if (isConditionFailure(error)) return 'condition';
  const e = error as { name?: string; CancellationReasons?: Array<{ Code?: string }> };
  if (e.name === 'TransactionConflictException') return 'conflict';
  if (e.name !== 'TransactionCanceledException') return undefined;
  const codes = (e.CancellationReasons ?? []).map((r) => r.Code);
  if (codes.includes('ConditionalCheckFailed')) return 'condition';
  return codes.includes('TransactionConflict') ? 'conflict' : undefined;
};

export function createApiKeyStore(deps: StoreDeps): ApiKeyStore {
  const { dynamo } = deps;
  const TableName = tableName(deps.config, 'apiKeys');
  const now = deps.now ?? (() => new Date());

  const item = (key: string, role: ApiKeyItem['role'], tenantId: string): ApiKeyItem => ({
    keyHash: hashApiKey(key),
    role,
    tenantId,
    createdAt: now().toISOString(),
  });

  const currentKeyHash = async (tenantId: string) => {
    const { Item } = await dynamo.send(
      new GetCommand({ TableName, Key: { keyHash: pointerHash(tenantId) }, ConsistentRead: true }),
    );
    return (Item as CurrentKeyPointer | undefined)?.currentKeyHash;
  };

  /** Writes the key and points the tenant at it, if the pointer still names `seen`. False if it moved. */
  const makeCurrent = async (key: ApiKeyItem, seen: string | undefined): Promise<boolean> => {
    const pointer: CurrentKeyPointer = { keyHash: pointerHash(key.tenantId), currentKeyHash: key.keyHash };
    try {
      await dynamo.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName, Item: key, ConditionExpression: 'attribute_not_exists(keyHash)' } },
            {
              Put: {
                TableName,
                Item: pointer,
                ConditionExpression:
                  seen === undefined ? 'attribute_not_exists(keyHash)' : 'currentKeyHash = :seen',
                ExpressionAttributeValues: seen === undefined ? undefined : { ':seen': seen },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (refusal(error)) return false;
      throw error;
    }
  };

  /** Sets the key's expiry to `graceEnd` (never later than one it has), unless it is the current key. */
  const expire = async (tenantId: string, keyHash: string, graceEnd: number) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await dynamo.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                ConditionCheck: {
                  TableName,
                  Key: { keyHash: pointerHash(tenantId) },
                  ConditionExpression: 'attribute_not_exists(currentKeyHash) OR currentKeyHash <> :h',
                  ExpressionAttributeValues: { ':h': keyHash },
                },
              },
              {
                Update: {
                  TableName,
                  Key: { keyHash },
                  UpdateExpression: 'SET expiresAt = :e',
                  ConditionExpression:
                    'attribute_exists(keyHash) AND (attribute_not_exists(expiresAt) OR expiresAt > :e)',
                  ExpressionAttributeValues: { ':e': graceEnd },
                },
              },
            ],
          }),
        );
        return;
      } catch (error) {
        const why = refusal(error);
        // Refused by a condition: current, gone, or expiring sooner already; nothing to do.
        if (why === 'condition') return;
        if (why !== 'conflict' || attempt >= ROTATION_ATTEMPTS) throw error;
      }
    }
  };

  return {
    async issue(tenantId) {
      const key = newKey();
      const issued = item(key, 'tenant', tenantId);
      const seen = await currentKeyHash(tenantId);
      if (!(await makeCurrent(issued, seen))) {
        throw new ConflictError({ message: 'The tenant’s API key changed concurrently; try again' });
      }
      return key;
    },
    async registerAdmin(key) {
      await dynamo.send(new PutCommand({ TableName, Item: item(key, 'admin', '*admin*') }));
    },
    async resolve(key) {
      const { Item } = await dynamo.send(new GetCommand({ TableName, Key: { keyHash: hashApiKey(key) } }));
      const found = Item as ApiKeyItem | undefined;
      if (!found?.role || isExpired(found, now())) return undefined;
      return found.role === 'admin' ? { role: 'admin' } : { role: 'tenant', tenantId: found.tenantId };
    },
    async rotate(tenantId) {
      const key = newKey();
      const rotated = item(key, 'tenant', tenantId);
      let previous: string | undefined;
      for (let attempt = 1; ; attempt++) {
        previous = await currentKeyHash(tenantId);
        if (await makeCurrent(rotated, previous)) break;
        if (attempt >= ROTATION_ATTEMPTS) {
          throw new ConflictError({
            message: 'The tenant’s API key is being rotated concurrently; try again',
            details: { tenantId },
          });
        }
      }
      // The previous key by the pointer (read consistently), plus what the index shows: keys from
      // before pointers existed. Expiring the current key is refused, so the index lagging is harmless.
      const { Items = [] } = await dynamo.send(
        new QueryCommand({
          TableName,
          IndexName: 'byTenant',
          KeyConditionExpression: 'tenantId = :t',
          ExpressionAttributeValues: { ':t': tenantId },
        }),
      );
      const others = new Set([previous, ...(Items as ApiKeyItem[]).map((old) => old.keyHash)]);
      others.delete(rotated.keyHash);
      const graceEnd = epochSeconds(new Date(now().getTime() + API_KEY_GRACE_MS));
      await Promise.all([...others].filter((h) => h !== undefined).map((h) => expire(tenantId, h, graceEnd)));
      return key;
    },
  };
}
