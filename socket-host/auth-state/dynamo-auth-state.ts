import { setTimeout as sleep } from 'node:timers/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type AuthenticationCreds,
  type AuthenticationState,
  BufferJSON,
  initAuthCreds,
  proto,
  type SignalDataSet,
  type SignalDataTypeMap,
} from '@whiskeysockets/baileys';
import { bucketLayout } from '../../shared/resources.js';
import { serialQueue } from '../process/serial.js';
import { FENCE_KEY, type Fence, FenceLostError, fenceCheck, isTransactionConditionFailure } from './fence.js';

/**
 * Baileys' AuthenticationState on DynamoDB (architecture §6): creds as one item, each signal key as an
 * item `type#id`, values serialized with BufferJSON. Every write is a TransactWriteItems headed by
 * a ConditionCheck on the tenant's fence, so only the current owner can change the keys; values
 * too large for an item spill to S3 and the item keeps a pointer.
 */

const CREDS_KEY = 'creds';
/** TransactWriteItems takes 100 items; one is the fence check. */
const WRITES_PER_TRANSACTION = 99;
const READS_PER_BATCH = 100;
/** Bounds the per-session memory of known-absent keys; past it the set starts again. */
const MAX_ABSENT_KEYS = 5_000;
/** Items are limited to 400 KB; keep well clear so the key and attributes always fit. */
const SPILL_THRESHOLD_BYTES = 300 * 1024;

export interface AuthStateDeps {
  dynamo: DynamoDBDocumentClient;
  s3: S3Client;
  tableName: string;
  bucketName: string;
  /**
   * Called once when a fenced write of an opened state is refused: another owner has the tenant,
   * so whoever runs it here must stop at once. Later writes of that state fail without a call.
   */
  onFenceLost?(fence: Fence): void;
}

export interface DynamoAuthState {
  state: AuthenticationState;
  saveCreds(): Promise<void>;
}

type StoredItem = { tenantId: string; key: string; value?: string; spill?: string };

const itemKey = (type: string, id: string) => `${type}#${id}`;

export function createAuthStateRepository(deps: AuthStateDeps) {
  const { dynamo, s3, tableName, bucketName } = deps;

  const serialize = (value: unknown) => JSON.stringify(value, BufferJSON.replacer);
  const deserialize = (text: string) => JSON.parse(text, BufferJSON.reviver);

  const spillKey = (tenantId: string, key: string) =>
    `${bucketLayout.authSpill(tenantId)}${encodeURIComponent(key)}`;

  async function readValue(item: StoredItem): Promise<unknown> {
    if (item.value !== undefined) return deserialize(item.value);
    if (!item.spill) return undefined;
    const object = await s3.send(new GetObjectCommand({ Bucket: bucketName, Key: item.spill }));
    return deserialize(await (object.Body as { transformToString(): Promise<string> }).transformToString());
  }

  async function toWrite(tenantId: string, key: string, value: unknown) {
    if (value === null || value === undefined) {
      return { Delete: { TableName: tableName, Key: { tenantId, key } } };
    }
    const text = serialize(value);
    if (Buffer.byteLength(text) <= SPILL_THRESHOLD_BYTES) {
      return { Put: { TableName: tableName, Item: { tenantId, key, value: text } } };
    }
    // Written before the pointer, so a reader never follows a pointer to nothing.
    const spill = spillKey(tenantId, key);
    await s3.send(new PutObjectCommand({ Bucket: bucketName, Key: spill, Body: text }));
    return { Put: { TableName: tableName, Item: { tenantId, key, spill } } };
  }

  /** Fenced writes, 99 per transaction, in order; a lost fence stops the whole write. */
  async function write(fence: Fence, entries: Array<[key: string, value: unknown]>): Promise<void> {
    for (let i = 0; i < entries.length; i += WRITES_PER_TRANSACTION) {
      const chunk = entries.slice(i, i + WRITES_PER_TRANSACTION);
      const writes = await Promise.all(chunk.map(([key, value]) => toWrite(fence.tenantId, key, value)));
      try {
        await dynamo.send(
          new TransactWriteCommand({ TransactItems: [fenceCheck(tableName, fence), ...writes] }),
        );
      } catch (error) {
        if (isTransactionConditionFailure(error)) throw new FenceLostError(fence);
        throw error;
      }
    }
  }

  async function readMany(tenantId: string, keys: string[]): Promise<Map<string, unknown>> {
    const found = new Map<string, unknown>();
    for (let i = 0; i < keys.length; i += READS_PER_BATCH) {
      let pending: Array<Record<string, unknown>> | undefined = keys
        .slice(i, i + READS_PER_BATCH)
        .map((key) => ({ tenantId, key }));
      // Unprocessed keys come back under throttling; retry them with a short backoff.
      for (let attempt = 0; pending?.length; attempt++) {
        if (attempt > 0) await sleep(Math.min(50 * 2 ** attempt, 1000));
        const result: BatchGetCommandOutput = await dynamo.send(
          new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }),
        );
        for (const item of (result.Responses?.[tableName] ?? []) as StoredItem[]) {
          found.set(item.key, await readValue(item));
        }
        pending = result.UnprocessedKeys?.[tableName]?.Keys;
      }
    }
    return found;
  }

  /** Every key of a tenant (for erase and snapshots), the fence item excluded. */
  async function listAll(tenantId: string): Promise<StoredItem[]> {
    const items: StoredItem[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await dynamo.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'tenantId = :t',
          ExpressionAttributeValues: { ':t': tenantId },
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      );
      items.push(...((page.Items ?? []) as StoredItem[]).filter((i) => i.key !== FENCE_KEY));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }

  return {
    /** The Baileys auth state of one tenant, writing under `fence`. */
    async open(fence: Fence): Promise<DynamoAuthState> {
      const tenantId = fence.tenantId;
      // One transaction in flight per tenant (architecture §5): key writes and creds writes queue up.
      const oneAtATime = serialQueue();
      // A refusal is final: no retry can win the fence back, so queued and later writes fail at once.
      let fenceLost = false;
      const fenced = async (entries: Array<[string, unknown]>) => {
        if (fenceLost) throw new FenceLostError(fence);
        try {
          await write(fence, entries);
        } catch (error) {
          if (error instanceof FenceLostError && !fenceLost) {
            fenceLost = true;
            deps.onFenceLost?.(fence);
          }
          throw error;
        }
      };
      const serial = (entries: Array<[string, unknown]>) => oneAtATime(() => fenced(entries));
      const stored = await readMany(tenantId, [CREDS_KEY]);
      const creds = (stored.get(CREDS_KEY) as AuthenticationCreds | undefined) ?? initAuthCreds();
      // Keys known not to exist. Baileys' cache keeps only values, so a key that is never written
      // (a contact's `tctoken`, say) would be read from DynamoDB on every send. This process is
      // the tenant's only writer while it holds the fence, so its own writes keep the set true.
      const absent = new Set<string>();
      let pendingCreds: Promise<void> | undefined;
      return {
        state: {
          creds,
          keys: {
            get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
              const wanted = ids.map((id) => itemKey(type, id)).filter((key) => !absent.has(key));
              const values = wanted.length ? await readMany(tenantId, wanted) : new Map<string, unknown>();
              if (absent.size + wanted.length > MAX_ABSENT_KEYS) absent.clear();
              for (const key of wanted) if (!values.has(key)) absent.add(key);
              const out: { [id: string]: SignalDataTypeMap[T] } = {};
              for (const id of ids) {
                let value = values.get(itemKey(type, id));
                if (value === undefined) continue;
                if (type === 'app-state-sync-key')
                  value = proto.Message.AppStateSyncKeyData.fromObject(value as Record<string, unknown>);
                out[id] = value as SignalDataTypeMap[T];
              }
              return out;
            },
            set: async (data: SignalDataSet) => {
              const entries: Array<[string, unknown]> = [];
              for (const [type, values] of Object.entries(data)) {
                for (const [id, value] of Object.entries(values ?? {})) {
                  const key = itemKey(type, id);
                  if (value === null || value === undefined) absent.add(key);
                  else absent.delete(key);
                  entries.push([key, value]);
                }
              }
              await serial(entries);
            },
          },
        },
        // Baileys updates creds in bursts while connecting. A write still waiting in the queue will
        // serialize the creds object as it is when it starts, so later calls join it.
        saveCreds: () => {
          pendingCreds ??= oneAtATime(() => {
            pendingCreds = undefined;
            return fenced([[CREDS_KEY, creds]]);
          });
          return pendingCreds;
        },
      };
    },

    /** Every key and value of a tenant, as one BufferJSON document (for snapshots). */
    async export(tenantId: string): Promise<string> {
      const items = await listAll(tenantId);
      const values: Record<string, unknown> = {};
      for (const item of items) values[item.key] = await readValue(item);
      return serialize(values);
    },

    /** Writes a snapshot's keys back under the current fence (restore). */
    async import(fence: Fence, document: string): Promise<number> {
      const values = deserialize(document) as Record<string, unknown>;
      await write(fence, Object.entries(values));
      return Object.keys(values).length;
    },

    /** Erases all of a tenant's auth state (logout), fenced like every other write. */
    async erase(fence: Fence): Promise<number> {
      const items = await listAll(fence.tenantId);
      await write(
        fence,
        items.map((i) => [i.key, null]),
      );
      await deleteSpills(fence.tenantId);
      return items.length;
    },

    /** Number of stored keys by type, for diagnostics and tests. */
    async countByType(tenantId: string): Promise<Record<string, number>> {
      const counts: Record<string, number> = {};
      for (const item of await listAll(tenantId)) {
        const type = item.key === CREDS_KEY ? CREDS_KEY : item.key.slice(0, item.key.indexOf('#'));
        counts[type] = (counts[type] ?? 0) + 1;
      }
      return counts;
    },
  };

  async function deleteSpills(tenantId: string) {
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: bucketName, Prefix: bucketLayout.authSpill(tenantId) }),
    );
    const objects = (listed.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (objects.length) {
      await s3.send(new DeleteObjectsCommand({ Bucket: bucketName, Delete: { Objects: objects } }));
    }
  }
}

export type AuthStateRepository = ReturnType<typeof createAuthStateRepository>;
