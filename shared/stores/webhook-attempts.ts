import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { EventType } from '../events.js';
import { epochSeconds, isExpired, type StoreDeps, tableName } from './table-names.js';

/** The delivery log: one row per attempt, kept 30 days, for the tenant to read (architecture §8). */

export const ATTEMPT_RETENTION_DAYS = 30;

export interface WebhookAttemptRow {
  tenantId: string;
  /** `${eventId}#${at}#${attempt}`: an event's attempts sort together, oldest first. */
  attemptId: string;
  eventId: string;
  eventType: EventType;
  attempt: number;
  at: string;
  statusCode?: number;
  latencyMs: number;
  error?: string;
  expiresAt: number;
}

export type AttemptInput = Omit<WebhookAttemptRow, 'tenantId' | 'attemptId' | 'at' | 'expiresAt'>;

export interface WebhookAttemptStore {
  record(tenantId: string, input: AttemptInput): Promise<WebhookAttemptRow>;
  /** Every attempt for one event, oldest first (a replay starts counting again from 1). */
  listForEvent(tenantId: string, eventId: string): Promise<WebhookAttemptRow[]>;
}

export function createWebhookAttemptStore(deps: StoreDeps): WebhookAttemptStore {
  const { dynamo } = deps;
  const TableName = tableName(deps.config, 'webhookAttempts');
  const now = deps.now ?? (() => new Date());

  return {
    async record(tenantId, input) {
      const at = now();
      const row: WebhookAttemptRow = {
        tenantId,
        attemptId: `${input.eventId}#${at.toISOString()}#${input.attempt}`,
        at: at.toISOString(),
        expiresAt: epochSeconds(at) + ATTEMPT_RETENTION_DAYS * 86_400,
        ...input,
      };
      await dynamo.send(new PutCommand({ TableName, Item: row }));
      return row;
    },
    async listForEvent(tenantId, eventId) {
      const items: WebhookAttemptRow[] = [];
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await dynamo.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: 'tenantId = :t AND begins_with(attemptId, :prefix)',
            ExpressionAttributeValues: { ':t': tenantId, ':prefix': `${eventId}#` },
            ExclusiveStartKey,
          }),
        );
        items.push(...((page.Items ?? []) as WebhookAttemptRow[]));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      return items.filter((row) => !isExpired(row, now()));
    },
  };
}
