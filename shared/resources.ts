/**
 * The tables, queues and bucket, described once. The CDK app builds them from this file and
 * the local provisioner creates them on DynamoDB Local and fauxqs from the same entries (architecture §9).
 */

export type AttributeType = 'S' | 'N';

export interface KeyAttribute {
  name: string;
  type: AttributeType;
}

export interface IndexDefinition {
  indexName: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
}

export interface TableDefinition {
  /** Logical id; the physical name is `${prefix}-${id}`. */
  id: string;
  purpose: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  /** Epoch seconds. DynamoDB deletes late (up to 48 h, never locally): readers filter on it too. */
  ttlAttribute?: string;
  globalIndexes?: IndexDefinition[];
}

const s = (name: string): KeyAttribute => ({ name, type: 'S' });
const n = (name: string): KeyAttribute => ({ name, type: 'N' });

export const tables = {
  tenants: {
    id: 'tenants',
    purpose: 'Tenants (companies): name, webhook endpoint and secrets, rate limits, status.',
    partitionKey: s('tenantId'),
  },
  apiKeys: {
    id: 'api-keys',
    purpose: 'API keys by SHA-256 hash → tenant or admin role. Keys themselves are never stored.',
    partitionKey: s('keyHash'),
    ttlAttribute: 'expiresAt',
    globalIndexes: [{ indexName: 'byTenant', partitionKey: s('tenantId') }],
  },
  sessions: {
    id: 'sessions',
    purpose: 'One row per tenant session: status, QR/pairing code with expiry, epoch, user, last disconnect.',
    partitionKey: s('tenantId'),
    globalIndexes: [{ indexName: 'byShard', partitionKey: n('shard'), sortKey: s('tenantId') }],
  },
  authState: {
    id: 'auth-state',
    purpose:
      "Baileys auth state: creds and signal keys (`type#id`) per tenant, plus the tenant's fence item.",
    partitionKey: s('tenantId'),
    sortKey: s('key'),
  },
  messages: {
    id: 'messages',
    purpose: 'Message history and status, both directions.',
    partitionKey: s('tenantId'),
    sortKey: s('messageId'),
    ttlAttribute: 'expiresAt',
    globalIndexes: [{ indexName: 'byCreatedAt', partitionKey: s('tenantId'), sortKey: s('createdAt') }],
  },
  idempotency: {
    id: 'idempotency',
    purpose: 'Idempotency-Key records: the first response to a keyed request, per tenant.',
    partitionKey: s('tenantId'),
    sortKey: s('idempotencyKey'),
    ttlAttribute: 'expiresAt',
  },
  rateLimits: {
    id: 'rate-limits',
    purpose: 'Fixed-window request counters per tenant.',
    partitionKey: s('bucketKey'),
    ttlAttribute: 'expiresAt',
  },
  leases: {
    id: 'leases',
    purpose: 'Shard leases held by socket-host tasks (owner, counter), KCL style.',
    partitionKey: s('leaseKey'),
  },
  webhookEvents: {
    id: 'webhook-events',
    purpose: 'Every event emitted for a tenant, kept for replay, with its delivery status and next due time.',
    partitionKey: s('tenantId'),
    sortKey: s('eventId'),
    ttlAttribute: 'expiresAt',
    globalIndexes: [
      { indexName: 'byCreatedAt', partitionKey: s('tenantId'), sortKey: s('createdAt') },
      { indexName: 'byDue', partitionKey: s('parked'), sortKey: s('dueAt') },
    ],
  },
  webhookAttempts: {
    id: 'webhook-attempts',
    purpose: 'Delivery log: one row per attempt (status code, latency, error).',
    partitionKey: s('tenantId'),
    sortKey: s('attemptId'),
    ttlAttribute: 'expiresAt',
  },
} as const satisfies Record<string, TableDefinition>;

export type TableKey = keyof typeof tables;

export interface QueueDefinition {
  /** Physical name without prefix; FIFO names end in `.fifo`. */
  name: string;
  fifo: boolean;
  visibilityTimeoutSeconds: number;
  /** Receives after which a message moves to the dead-letter queue. */
  maxReceiveCount: number;
  retentionSeconds: number;
}

/**
 * One FIFO queue per shard: MessageGroupId = tenantId keeps a tenant's commands in order (architecture §5).
 * The socket host sets each receive's visibility to its lease duration and extends it while a
 * command runs; this default matches the default lease (10 s), so a crashed host's commands come
 * back about when its shards are taken over, not a minute later.
 */
export const commandQueue = (shard: number): QueueDefinition => ({
  name: `commands-${shard}.fifo`,
  fifo: true,
  visibilityTimeoutSeconds: 10,
  maxReceiveCount: 5,
  retentionSeconds: 4 * 24 * 3600,
});

/**
 * Webhook events. Its visibility timeout covers one delivery attempt; long retry waits are parked
 * in the webhook-events table, never held in flight (architecture §8).
 */
export const webhookQueue: QueueDefinition = {
  name: 'webhook-events',
  fifo: false,
  // Six times the dispatcher Lambda's 30 s timeout, as AWS advises for SQS event sources.
  visibilityTimeoutSeconds: 180,
  maxReceiveCount: 10,
  retentionSeconds: 14 * 24 * 3600,
};

export const deadLetterName = (queue: QueueDefinition): string =>
  queue.fifo ? queue.name.replace(/\.fifo$/, '-dlq.fifo') : `${queue.name}-dlq`;

export const physicalName = (prefix: string, name: string): string => `${prefix}-${name}`;

export const bucketLayout = {
  /** Inbound and outbound media, by tenant. */
  media: (tenantId: string) => `media/${tenantId}/`,
  /** Encrypted snapshots of one tenant's whole auth state. */
  snapshots: (tenantId: string) => `snapshots/${tenantId}/`,
  /** Auth-state values too large for a DynamoDB item. */
  authSpill: (tenantId: string) => `auth-spill/${tenantId}/`,
} as const;
