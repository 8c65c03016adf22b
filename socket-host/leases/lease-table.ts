import { type DynamoDBDocumentClient, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from '../../shared/stores/table-names.js';

/** The lease rows in DynamoDB, `{ leaseKey: 'shard-N', owner, counter }`, as one host reads and writes them. */

export const leaseKeyOf = (shard: number) => `shard-${shard}`;

export interface LeaseRow {
  leaseKey: string;
  owner?: string;
  counter?: number;
}

export function leaseTable(deps: {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  shardCount: number;
  owner: string;
}) {
  const { dynamo, tableName: TableName, shardCount, owner } = deps;
  const shardOfKey = (key: string) => Number(key.slice('shard-'.length));

  async function ensureRows() {
    await Promise.all(
      Array.from({ length: shardCount }, (_, shard) =>
        dynamo
          .send(
            new PutCommand({
              TableName,
              Item: { leaseKey: leaseKeyOf(shard), counter: 0 },
              ConditionExpression: 'attribute_not_exists(leaseKey)',
            }),
          )
          .catch((error) => {
            if (!isConditionFailure(error)) throw error;
          }),
      ),
    );
  }

  async function readAll(): Promise<LeaseRow[]> {
    const rows: LeaseRow[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await dynamo.send(new ScanCommand({ TableName, ConsistentRead: true, ExclusiveStartKey }));
      rows.push(...((page.Items ?? []) as LeaseRow[]));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return rows.filter((r) => r.leaseKey.startsWith('shard-') && shardOfKey(r.leaseKey) < shardCount);
  }

  /** A conditional write to one lease row: false when the condition no longer holds. */
  async function updateLease(
    shard: number,
    update: string,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    try {
      await dynamo.send(
        new UpdateCommand({
          TableName,
          Key: { leaseKey: leaseKeyOf(shard) },
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#owner': 'owner', '#counter': 'counter' },
          ExpressionAttributeValues: { ':me': owner, ...values },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  return { ensureRows, readAll, updateLease };
}
