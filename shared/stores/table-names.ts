import type { Config } from '../config.js';
import { physicalName, type TableKey, tables } from '../resources.js';

/** Physical table name for this deployment (`${prefix}-${id}`). */
export const tableName = (config: Pick<Config, 'resourcePrefix'>, table: TableKey): string =>
  physicalName(config.resourcePrefix, tables[table].id);

export interface StoreDeps {
  dynamo: import('@aws-sdk/lib-dynamodb').DynamoDBDocumentClient;
  config: Pick<Config, 'resourcePrefix'>;
  now?: () => Date;
}

export const epochSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);

/** DynamoDB deletes expired items late (up to 48 h; never locally), so reads check expiry themselves. */
export const isExpired = (item: { expiresAt?: number } | undefined, now: Date): boolean =>
  item?.expiresAt !== undefined && item.expiresAt <= epochSeconds(now);

export const isConditionFailure = (error: unknown): boolean =>
  (error as { name?: string }).name === 'ConditionalCheckFailedException';
