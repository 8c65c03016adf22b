import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { initAuthCreds, type KeyPair } from '@whiskeysockets/baileys';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/aws/clients.js';
import type { Config } from '../../../shared/config.js';
import { bucketLayout } from '../../../shared/resources.js';
import { tableName } from '../../../shared/stores/table-names.js';
import { createAuthStateRepository } from '../../../socket-host/auth-state/dynamo-auth-state.js';
import { FENCE_KEY, type Fence } from '../../../socket-host/auth-state/fence.js';
import { createSnapshotStore } from '../../../socket-host/auth-state/snapshots.js';
import { testConfig, uniqueTenantId } from '../../support/env.js';
import { isolatedResources } from '../../support/resources.js';

/** The DynamoDB auth state on DynamoDB Local and fauxqs's S3, without Baileys around it. */
describe('auth state store', () => {
  let config: Config;
  let clients: ReturnType<typeof createAwsClients>;
  let repo: ReturnType<typeof createAuthStateRepository>;

  beforeAll(async () => {
    config = testConfig(await isolatedResources('auth'));
    clients = createAwsClients(config);
    repo = createAuthStateRepository({
      dynamo: clients.dynamo,
      s3: clients.s3,
      tableName: tableName(config, 'authState'),
      bucketName: config.bucketName,
    });
  });

  async function fenced(): Promise<Fence> {
    const fence = { tenantId: uniqueTenantId('auth'), owner: 'test-host', generation: 1 };
    await clients.dynamo.send(
      new PutCommand({ TableName: tableName(config, 'authState'), Item: { ...fence, key: FENCE_KEY } }),
    );
    return fence;
  }

  /** A repository on its own clients that counts one DynamoDB command. */
  function countingRepo(commandName: string) {
    const calls: string[] = [];
    const counted = createAwsClients(config);
    counted.dynamo.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === commandName) calls.push(commandName);
        return next(args);
      },
      { step: 'initialize' },
    );
    return {
      calls,
      repo: createAuthStateRepository({
        dynamo: counted.dynamo,
        s3: counted.s3,
        tableName: tableName(config, 'authState'),
        bucketName: config.bucketName,
      }),
    };
  }

  const keyPair = (seed: number): KeyPair => ({
    public: new Uint8Array(32).fill(seed % 256),
    private: new Uint8Array(32).fill((seed + 1) % 256),
  });

  it('writes 812 pre-keys in fenced transactions and reads them back in batches, bytes intact', async () => {
    const fence = await fenced();
    const auth = await repo.open(fence);
    const preKeys = Object.fromEntries(Array.from({ length: 812 }, (_, i) => [String(i + 1), keyPair(i)]));
    await auth.state.keys.set({ 'pre-key': preKeys });
    const ids = Object.keys(preKeys);
    const read = await auth.state.keys.get('pre-key', [...ids, 'missing']);
    expect(Object.keys(read)).toHaveLength(812);
    expect(Buffer.from(read['500']?.public ?? []).equals(Buffer.from(keyPair(499).public))).toBe(true);
    expect((await repo.countByType(fence.tenantId))['pre-key']).toBe(812);
  });

  it('reads a key found missing once no more, until it is written (its own writes keep that true)', async () => {
    const fence = await fenced();
    const { calls: reads, repo: countedRepo } = countingRepo('BatchGetItemCommand');
    const auth = await countedRepo.open(fence);
    const token = { token: Buffer.from('tc'), timestamp: '1' };
    reads.length = 0;
    expect(await auth.state.keys.get('tctoken', ['15550002222@s.whatsapp.net'])).toEqual({});
    expect(await auth.state.keys.get('tctoken', ['15550002222@s.whatsapp.net'])).toEqual({});
    expect(reads).toHaveLength(1);
    await auth.state.keys.set({ tctoken: { '15550002222@s.whatsapp.net': token } });
    const read = await auth.state.keys.get('tctoken', ['15550002222@s.whatsapp.net']);
    expect(Buffer.from(read['15550002222@s.whatsapp.net']?.token ?? []).toString()).toBe('tc');
    expect(reads).toHaveLength(2);
    await auth.state.keys.set({ tctoken: { '15550002222@s.whatsapp.net': null } });
    expect(await auth.state.keys.get('tctoken', ['15550002222@s.whatsapp.net'])).toEqual({});
    expect(reads).toHaveLength(2);
    // Another process (a restart) still reads the store itself: the set lives only in this session.
    expect(await (await repo.open(fence)).state.keys.get('tctoken', ['15550002222@s.whatsapp.net'])).toEqual(
      {},
    );
  });

  it('folds a burst of creds updates into the writes needed, and keeps the last', async () => {
    const fence = await fenced();
    const { calls: writes, repo: countedRepo } = countingRepo('TransactWriteItemsCommand');
    const auth = await countedRepo.open(fence);
    const burst = [1, 2, 3, 4, 5].map((n) => {
      auth.state.creds.nextPreKeyId = n;
      return auth.saveCreds();
    });
    await Promise.all(burst);
    expect(writes).toHaveLength(1);
    // An update after the write has gone out is written again.
    auth.state.creds.nextPreKeyId = 6;
    await auth.saveCreds();
    expect(writes).toHaveLength(2);
    expect((await repo.open(fence)).state.creds.nextPreKeyId).toBe(6);
  });

  it('keeps creds across a reopen, as after a restart', async () => {
    const fence = await fenced();
    const auth = await repo.open(fence);
    auth.state.creds.me = { id: '15550001111:3@s.whatsapp.net', name: 'Ana' };
    await auth.saveCreds();
    const reopened = await repo.open(fence);
    expect(reopened.state.creds.me?.id).toBe('15550001111:3@s.whatsapp.net');
    expect(
      Buffer.from(reopened.state.creds.noiseKey.private).equals(
        Buffer.from(auth.state.creds.noiseKey.private),
      ),
    ).toBe(true);
    expect((await repo.countByType(fence.tenantId)).creds).toBe(1);
  });

  it('spills a value too large for an item to S3, reads it through the pointer, and erases both', async () => {
    const fence = await fenced();
    const auth = await repo.open(fence);
    const big = new Uint8Array(500 * 1024).map((_, i) => i % 251);
    await auth.state.keys.set({ session: { 'big.0': big } });
    const read = await auth.state.keys.get('session', ['big.0']);
    expect(Buffer.from(read['big.0'] ?? []).equals(Buffer.from(big))).toBe(true);
    const spilled = await clients.s3.send(
      new ListObjectsV2Command({ Bucket: config.bucketName, Prefix: bucketLayout.authSpill(fence.tenantId) }),
    );
    expect(spilled.KeyCount).toBe(1);
    await repo.erase(fence);
    expect(await repo.countByType(fence.tenantId)).toEqual({});
    const after = await clients.s3.send(
      new ListObjectsV2Command({ Bucket: config.bucketName, Prefix: bucketLayout.authSpill(fence.tenantId) }),
    );
    expect(after.KeyCount ?? 0).toBe(0);
  });

  it('snapshots a tenant to S3 and restores it after an erase', async () => {
    const fence = await fenced();
    const snapshots = createSnapshotStore({ s3: clients.s3, bucketName: config.bucketName, authState: repo });
    const auth = await repo.open(fence);
    auth.state.creds.me = { id: '15550002222:1@s.whatsapp.net' };
    await auth.saveCreds();
    await auth.state.keys.set({ 'pre-key': { '1': keyPair(1), '2': keyPair(2) }, 'lid-mapping': { x: 'y' } });
    const key = await snapshots.save(fence.tenantId, 'manual');
    expect(key.startsWith(bucketLayout.snapshots(fence.tenantId))).toBe(true);
    await repo.erase(fence);
    expect((await repo.countByType(fence.tenantId)).creds).toBeUndefined();
    expect(await snapshots.restoreLatest(fence)).toBe(key);
    expect(await repo.countByType(fence.tenantId)).toEqual({ creds: 1, 'pre-key': 2, 'lid-mapping': 1 });
    expect((await repo.open(fence)).state.creds.me?.id).toBe('15550002222:1@s.whatsapp.net');
  });

  it('a new tenant starts with fresh creds', async () => {
    const fence = await fenced();
    const auth = await repo.open(fence);
    expect(auth.state.creds.registered).toBe(initAuthCreds().registered);
    expect(auth.state.creds.me).toBeUndefined();
  });
});
