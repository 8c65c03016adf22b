import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from '../../shared/stores/table-names.js';

/**
 * The fencing token of one tenant (architecture §5): an item `{ tenantId, key: '#fence', owner, generation }`
 * in the auth-state table. Only the holder of the tenant's shard lease raises the generation, and
 * every auth-state write checks that owner and generation still match, so a former owner's late
 * write fails instead of overwriting the new owner's keys.
 */
export const FENCE_KEY = '#fence';

export interface Fence {
  tenantId: string;
  owner: string;
  generation: number;
}

export class FenceLostError extends Error {
  override name = 'FenceLostError';
  constructor(readonly fence: Fence) {
    super(`auth-state fence for ${fence.tenantId} is no longer held by ${fence.owner}@${fence.generation}`);
  }
}

export interface FenceTables {
  authState: string;
  leases: string;
}

/**
 * Raises the tenant's generation, in one transaction with a check that `owner` still holds
 * `leaseKey`. Fails with FenceLostError when the lease is someone else's.
 */
export async function acquireFence(
  dynamo: DynamoDBDocumentClient,
  tables: FenceTables,
  input: { tenantId: string; owner: string; leaseKey: string },
): Promise<Fence> {
  const { tenantId, owner, leaseKey } = input;
  const current = await dynamo.send(
    new GetCommand({ TableName: tables.authState, Key: { tenantId, key: FENCE_KEY }, ConsistentRead: true }),
  );
  const previous = (current.Item?.generation as number | undefined) ?? 0;
  const generation = previous + 1;
  try {
    await dynamo.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            ConditionCheck: {
              TableName: tables.leases,
              Key: { leaseKey },
              ConditionExpression: '#owner = :owner',
              ExpressionAttributeNames: { '#owner': 'owner' },
              ExpressionAttributeValues: { ':owner': owner },
            },
          },
          {
            Put: {
              TableName: tables.authState,
              Item: { tenantId, key: FENCE_KEY, owner, generation, takenAt: new Date().toISOString() },
              // Two takers racing on the same generation: only one wins.
              ConditionExpression: 'attribute_not_exists(generation) OR generation = :previous',
              ExpressionAttributeValues: { ':previous': previous },
            },
          },
        ],
      }),
    );
  } catch (error) {
    if (isTransactionConditionFailure(error)) throw new FenceLostError({ tenantId, owner, generation });
    throw error;
  }
  return { tenantId, owner, generation };
}

/** The ConditionCheck that heads every fenced auth-state transaction. */
export const fenceCheck = (table: string, fence: Fence) => ({
  ConditionCheck: {
    TableName: table,
    Key: { tenantId: fence.tenantId, key: FENCE_KEY },
    ConditionExpression: '#owner = :owner AND generation = :generation',
    ExpressionAttributeNames: { '#owner': 'owner' },
    ExpressionAttributeValues: { ':owner': fence.owner, ':generation': fence.generation },
  },
});

export function isTransactionConditionFailure(error: unknown): boolean {
  if (isConditionFailure(error)) return true;
  const e = error as { name?: string; message?: string; CancellationReasons?: Array<{ Code?: string }> };
  if (e.name !== 'TransactionCanceledException') return false;
  return e.CancellationReasons
    ? e.CancellationReasons.some((r) => r.Code === 'ConditionalCheckFailed')
    : /ConditionalCheckFailed/.test(e.message ?? '');
}
