import { createHash, randomBytes } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { epochSeconds, isExpired, type StoreDeps, tableName } from './table-names.js';

export type Principal = { role: 'admin'; tenantId?: undefined } | { role: 'tenant'; tenantId: string };

interface ApiKeyItem {
  keyHash: string;
  role: 'tenant' | 'admin';
  tenantId: string;
  createdAt: string;
  expiresAt?: number;
}

/** Keys are stored only as SHA-256 hashes (DESIGN §3); the key itself is shown once. */
export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');

const newKey = (): string => `wfk_${randomBytes(24).toString('base64url')}`;

/** After a rotation the old key keeps working this long, so clients can roll over. */
export const API_KEY_GRACE_MS = 60 * 60 * 1000;

export interface ApiKeyStore {
  /** Creates a tenant key and returns it; only its hash is kept. */
  issue(tenantId: string): Promise<string>;
  /** Registers an admin key (local start-up, or the key from Secrets Manager). */
  registerAdmin(key: string): Promise<void>;
  resolve(key: string): Promise<Principal | undefined>;
  /** A new key now; the tenant's older keys expire after API_KEY_GRACE_MS. */
  rotate(tenantId: string): Promise<string>;
}

export function createApiKeyStore(deps: StoreDeps): ApiKeyStore {
  const { dynamo } = deps;
  const TableName = tableName(deps.config, 'apiKeys');
  const now = deps.now ?? (() => new Date());

  const put = async (key: string, role: ApiKeyItem['role'], tenantId: string) => {
    const item: ApiKeyItem = { keyHash: hashApiKey(key), role, tenantId, createdAt: now().toISOString() };
    await dynamo.send(new PutCommand({ TableName, Item: item }));
  };

  return {
    async issue(tenantId) {
      const key = newKey();
      await put(key, 'tenant', tenantId);
      return key;
    },
    async registerAdmin(key) {
      await put(key, 'admin', '*admin*');
    },
    async resolve(key) {
      const { Item } = await dynamo.send(new GetCommand({ TableName, Key: { keyHash: hashApiKey(key) } }));
      const item = Item as ApiKeyItem | undefined;
      if (!item || isExpired(item, now())) return undefined;
      return item.role === 'admin' ? { role: 'admin' } : { role: 'tenant', tenantId: item.tenantId };
    },
    async rotate(tenantId) {
      const { Items = [] } = await dynamo.send(
        new QueryCommand({
          TableName,
          IndexName: 'byTenant',
          KeyConditionExpression: 'tenantId = :t',
          ExpressionAttributeValues: { ':t': tenantId },
        }),
      );
      const key = newKey();
      await put(key, 'tenant', tenantId);
      const graceEnd = epochSeconds(new Date(now().getTime() + API_KEY_GRACE_MS));
      await Promise.all(
        (Items as ApiKeyItem[]).map((old) =>
          old.expiresAt !== undefined && old.expiresAt <= graceEnd
            ? Promise.resolve()
            : dynamo.send(
                new UpdateCommand({
                  TableName,
                  Key: { keyHash: old.keyHash },
                  UpdateExpression: 'SET expiresAt = :e',
                  ExpressionAttributeValues: { ':e': graceEnd },
                }),
              ),
        ),
      );
      return key;
    },
  };
}
