import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { epochSeconds, type StoreDeps, tableName } from './table-names.js';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  hit(tenantId: string, limit: { maxRequests: number; windowMs: number }): Promise<RateDecision>;
}

/**
 * Fixed-window counter per tenant: one atomic ADD per request, shared by every Lambda instance.
 * Items expire with the window (TTL), so the table stays small.
 */
export function createRateLimiter(deps: StoreDeps): RateLimiter {
  const { dynamo } = deps;
  const TableName = tableName(deps.config, 'rateLimits');
  const now = deps.now ?? (() => new Date());

  return {
    async hit(tenantId, { maxRequests, windowMs }) {
      const at = now().getTime();
      const windowStart = Math.floor(at / windowMs) * windowMs;
      const windowEnd = windowStart + windowMs;
      const { Attributes } = await dynamo.send(
        new UpdateCommand({
          TableName,
          Key: { bucketKey: `${tenantId}#${windowStart}` },
          UpdateExpression: 'ADD hits :one SET expiresAt = if_not_exists(expiresAt, :exp)',
          ExpressionAttributeValues: { ':one': 1, ':exp': epochSeconds(new Date(windowEnd)) + 60 },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const hits = Number(Attributes?.hits ?? 1);
      return {
        allowed: hits <= maxRequests,
        limit: maxRequests,
        remaining: Math.max(0, maxRequests - hits),
        retryAfterSeconds: Math.max(1, Math.ceil((windowEnd - at) / 1000)),
      };
    },
  };
}
