import { randomBytes } from 'node:crypto';
import { GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { decodeCursor, encodeCursor, tenantIdKey } from '../cursor.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { isConditionFailure, type StoreDeps, tableName } from './table-names.js';

export interface WebhookSecret {
  secret: string;
  createdAt: string;
  /** Set on the previous secret during a rotation: until then both sign. */
  expiresAt?: string;
}

export interface TenantWebhook {
  url: string;
  enabled: boolean;
  disabledReason?: string;
  /** Absent while the endpoint is healthy; a new URL replaces the whole map, which resets it. */
  health?: WebhookHealth;
}

/**
 * The endpoint's failure streak and circuit breaker, shared by every dispatcher worker (architecture §8).
 * `version` rises on every write, so concurrent workers update it with optimistic concurrency.
 */
export interface WebhookHealth {
  version: number;
  consecutiveFailures: number;
  /** First failure since the last success. */
  failingSince: string;
  lastFailureAt: string;
  /** Set while the breaker is open: attempts wait until then; after it, one attempt probes. */
  openUntil?: string;
  /** Times the breaker has opened in this streak; the cool-down grows with it. */
  openings?: number;
  /** The one half-open attempt is in flight; `openUntil` is then its hold. */
  probing?: boolean;
}

export interface Tenant {
  tenantId: string;
  name: string;
  status: 'active' | 'disabled';
  createdAt: string;
  updatedAt: string;
  rateLimit?: { maxRequests: number; windowMs: number };
  webhook?: TenantWebhook;
  webhookSecrets: WebhookSecret[];
}

export interface TenantPatch {
  name?: string;
  status?: Tenant['status'];
  rateLimit?: Tenant['rateLimit'] | null;
  webhookUrl?: string | null;
}

/** How long the previous webhook secret keeps signing after a rotation. */
export const WEBHOOK_SECRET_OVERLAP_MS = 24 * 3600 * 1000;

export const newWebhookSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

export interface TenantStore {
  create(input: {
    tenantId: string;
    name: string;
    webhookUrl?: string;
    rateLimit?: Tenant['rateLimit'];
  }): Promise<Tenant>;
  get(tenantId: string): Promise<Tenant>;
  find(tenantId: string): Promise<Tenant | undefined>;
  list(cursor?: string): Promise<{ items: Tenant[]; cursor?: string }>;
  update(tenantId: string, patch: TenantPatch): Promise<Tenant>;
  /** New secret first; the old one keeps signing for WEBHOOK_SECRET_OVERLAP_MS. Returns the new secret. */
  rotateWebhookSecret(tenantId: string): Promise<{ tenant: Tenant; secret: string }>;
  /** Secrets that sign now: the current one and any previous one still inside its window. */
  activeSecrets(tenant: Tenant): string[];
  /** Only while the endpoint is still `url`, when given: a late answer from an old URL changes nothing. */
  disableWebhook(tenantId: string, reason: string, url?: string): Promise<void>;
  /**
   * Replaces the health of the enabled endpoint `url` if it is still at `seenVersion` (undefined: no
   * health yet), optionally disabling the endpoint in the same write. False when another worker, a
   * success or a new URL changed it first: re-read and decide again.
   */
  saveWebhookHealth(
    tenantId: string,
    url: string,
    seenVersion: number | undefined,
    health: WebhookHealth,
    disabledReason?: string,
  ): Promise<boolean>;
  /** A success closes the breaker and ends the streak; unconditional on version, so no reset is lost. */
  clearWebhookHealth(tenantId: string, url: string): Promise<void>;
}

/** Attempts a secret rotation makes while concurrent rotations keep winning, before answering 409. */
const ROTATION_ATTEMPTS = 5;

const CURSOR_SCOPE = 'tenants';
const cursorKey = z.strictObject({ tenantId: tenantIdKey });

export function createTenantStore(deps: StoreDeps): TenantStore {
  const { dynamo } = deps;
  const TableName = tableName(deps.config, 'tenants');
  const now = deps.now ?? (() => new Date());

  const find = async (tenantId: string) => {
    const { Item } = await dynamo.send(
      new GetCommand({ TableName, Key: { tenantId }, ConsistentRead: true }),
    );
    return Item as Tenant | undefined;
  };
  const get = async (tenantId: string) => {
    const tenant = await find(tenantId);
    if (!tenant) throw new NotFoundError({ message: `Tenant ${tenantId} not found`, details: { tenantId } });
    return tenant;
  };

  return {
    find,
    get,
    async create(input) {
      const at = now().toISOString();
      const tenant: Tenant = {
        tenantId: input.tenantId,
        name: input.name,
        status: 'active',
        createdAt: at,
        updatedAt: at,
        rateLimit: input.rateLimit,
        webhook: input.webhookUrl ? { url: input.webhookUrl, enabled: true } : undefined,
        webhookSecrets: [{ secret: newWebhookSecret(), createdAt: at }],
      };
      try {
        await dynamo.send(
          new PutCommand({ TableName, Item: tenant, ConditionExpression: 'attribute_not_exists(tenantId)' }),
        );
      } catch (error) {
        if (isConditionFailure(error)) {
          throw new ConflictError({
            message: `Tenant ${input.tenantId} already exists`,
            details: { tenantId: input.tenantId },
          });
        }
        throw error;
      }
      return tenant;
    },
    async list(cursor) {
      const { Items, LastEvaluatedKey } = await dynamo.send(
        new ScanCommand({
          TableName,
          Limit: 100,
          ExclusiveStartKey: decodeCursor(CURSOR_SCOPE, cursor, cursorKey),
        }),
      );
      return { items: (Items ?? []) as Tenant[], cursor: encodeCursor(CURSOR_SCOPE, LastEvaluatedKey) };
    },
    async update(tenantId, patch) {
      const sets: string[] = ['updatedAt = :updatedAt'];
      const removes: string[] = [];
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = { ':updatedAt': now().toISOString() };
      if (patch.name !== undefined) {
        sets.push('#name = :name');
        names['#name'] = 'name';
        values[':name'] = patch.name;
      }
      if (patch.status !== undefined) {
        sets.push('#status = :status');
        names['#status'] = 'status';
        values[':status'] = patch.status;
      }
      if (patch.rateLimit === null) removes.push('rateLimit');
      else if (patch.rateLimit !== undefined) {
        sets.push('rateLimit = :rateLimit');
        values[':rateLimit'] = patch.rateLimit;
      }
      if (patch.webhookUrl === null) removes.push('webhook');
      else if (patch.webhookUrl !== undefined) {
        // A new URL re-enables delivery and, replacing the whole map, clears the breaker and streak.
        sets.push('webhook = :webhook');
        values[':webhook'] = { url: patch.webhookUrl, enabled: true };
      }
      try {
        const { Attributes } = await dynamo.send(
          new UpdateCommand({
            TableName,
            Key: { tenantId },
            UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
            ConditionExpression: 'attribute_exists(tenantId)',
            ExpressionAttributeNames: Object.keys(names).length ? names : undefined,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
        );
        return Attributes as Tenant;
      } catch (error) {
        if (isConditionFailure(error))
          throw new NotFoundError({ message: `Tenant ${tenantId} not found`, details: { tenantId } });
        throw error;
      }
    },
    async rotateWebhookSecret(tenantId) {
      // Replaces only the list it read: a rotation that lost a race to another reads again. The
      // condition is the current secret, not updatedAt, so a PATCH or a breaker write is no conflict.
      for (let attempt = 1; ; attempt++) {
        const tenant = await get(tenantId);
        const at = now();
        const secret = newWebhookSecret();
        const [current] = tenant.webhookSecrets;
        const previous = current
          ? [{ ...current, expiresAt: new Date(at.getTime() + WEBHOOK_SECRET_OVERLAP_MS).toISOString() }]
          : [];
        try {
          const { Attributes } = await dynamo.send(
            new UpdateCommand({
              TableName,
              Key: { tenantId },
              UpdateExpression: 'SET webhookSecrets = :secrets, updatedAt = :at',
              ConditionExpression: current
                ? 'webhookSecrets[0].secret = :seen'
                : 'attribute_exists(tenantId) AND size(webhookSecrets) = :none',
              ExpressionAttributeValues: {
                ':secrets': [{ secret, createdAt: at.toISOString() }, ...previous],
                ':at': at.toISOString(),
                ...(current ? { ':seen': current.secret } : { ':none': 0 }),
              },
              ReturnValues: 'ALL_NEW',
            }),
          );
          return { tenant: Attributes as Tenant, secret };
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
          if (attempt >= ROTATION_ATTEMPTS) {
            throw new ConflictError({
              message: 'The webhook secret is being rotated concurrently; try again',
              details: { tenantId },
            });
          }
        }
      }
    },
    activeSecrets(tenant) {
      const at = now().toISOString();
      return tenant.webhookSecrets.filter((s) => !s.expiresAt || s.expiresAt > at).map((s) => s.secret);
    },
    async disableWebhook(tenantId, reason, url) {
      await dynamo
        .send(
          new UpdateCommand({
            TableName,
            Key: { tenantId },
            UpdateExpression:
              'SET webhook.enabled = :false, webhook.disabledReason = :reason, updatedAt = :at',
            ConditionExpression: url ? 'webhook.#url = :url' : 'attribute_exists(webhook)',
            ExpressionAttributeNames: url ? { '#url': 'url' } : undefined,
            ExpressionAttributeValues: {
              ':false': false,
              ':reason': reason,
              ':at': now().toISOString(),
              ...(url ? { ':url': url } : {}),
            },
          }),
        )
        .catch((error) => {
          if (!isConditionFailure(error)) throw error;
        });
    },
    async saveWebhookHealth(tenantId, url, seenVersion, health, disabledReason) {
      const sets = ['webhook.health = :health'];
      const values: Record<string, unknown> = { ':health': health, ':url': url, ':true': true };
      if (disabledReason !== undefined) {
        sets.push('webhook.enabled = :false', 'webhook.disabledReason = :reason', 'updatedAt = :at');
        Object.assign(values, { ':false': false, ':reason': disabledReason, ':at': now().toISOString() });
      }
      const seen =
        seenVersion === undefined ? 'attribute_not_exists(webhook.health)' : 'webhook.health.version = :seen';
      if (seenVersion !== undefined) values[':seen'] = seenVersion;
      try {
        await dynamo.send(
          new UpdateCommand({
            TableName,
            Key: { tenantId },
            UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: `webhook.#url = :url AND webhook.enabled = :true AND ${seen}`,
            ExpressionAttributeNames: { '#url': 'url' },
            ExpressionAttributeValues: values,
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
    async clearWebhookHealth(tenantId, url) {
      await dynamo
        .send(
          new UpdateCommand({
            TableName,
            Key: { tenantId },
            UpdateExpression: 'REMOVE webhook.health',
            ConditionExpression: 'webhook.#url = :url AND attribute_exists(webhook.health)',
            ExpressionAttributeNames: { '#url': 'url' },
            ExpressionAttributeValues: { ':url': url },
          }),
        )
        .catch((error) => {
          if (!isConditionFailure(error)) throw error;
        });
    },
  };
}
