import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/aws/clients.js';
import type { Config } from '../../../shared/config.js';
import { createLogger } from '../../../shared/logger.js';
import { tableName } from '../../../shared/stores/table-names.js';
import {
  createLeaseManager,
  type LeaseListener,
  type LeaseManager,
  leaseKeyOf,
} from '../../../socket-host/leases/lease-manager.js';
import { eventually, testConfig } from '../../support/env.js';
import { isolatedResources } from '../../support/resources.js';

/** Lease renewals on DynamoDB Local while the listener's work on a shard is stuck. */
describe('shard leases never wait on tenant work', () => {
  let config: Config;
  let dynamo: ReturnType<typeof createAwsClients>['dynamo'];
  let table: string;
  const unblock: Array<() => void> = [];
  const managers: LeaseManager[] = [];
  let ending = false;

  beforeAll(async () => {
    config = testConfig(await isolatedResources('leases'));
    dynamo = createAwsClients(config).dynamo;
    table = tableName(config, 'leases');
  });
  afterEach(async () => {
    ending = true;
    for (const release of unblock.splice(0)) release();
    // Released, so the next test's manager can take the same rows at once.
    await Promise.all(managers.splice(0).map((m) => m.stop()));
    // Rows another "host" took in a test are freed too.
    await Promise.all([0, 1].map((shard) => setOwner(shard, undefined)));
    ending = false;
  });

  /** Writes a lease row as another host would, raising its counter. */
  const setOwner = (shard: number, owner: string | undefined) =>
    dynamo.send(
      new UpdateCommand({
        TableName: table,
        Key: { leaseKey: leaseKeyOf(shard) },
        UpdateExpression: owner ? 'SET #owner = :other ADD #counter :one' : 'REMOVE #owner ADD #counter :one',
        ExpressionAttributeNames: { '#owner': 'owner', '#counter': 'counter' },
        ExpressionAttributeValues: owner ? { ':other': owner, ':one': 1 } : { ':one': 1 },
      }),
    );

  /** A promise that stays pending until the test ends. */
  const stuck = () => (ending ? Promise.resolve() : new Promise<void>((resolve) => unblock.push(resolve)));

  function manager(owner: string, listener: Partial<LeaseListener>) {
    const created = createLeaseManager({
      dynamo,
      tableName: table,
      shardCount: 2,
      owner,
      log: createLogger({ service: 'test', level: 'silent' }),
      settings: { durationMs: 3_000, renewIntervalMs: 150, scanIntervalMs: 60_000 },
      listener: { acquired: () => {}, lost: () => {}, handOver: () => {}, ...listener },
    });
    managers.push(created);
    return created;
  }

  const row = async (shard: number) =>
    (
      await dynamo.send(
        new GetCommand({ TableName: table, Key: { leaseKey: leaseKeyOf(shard) }, ConsistentRead: true }),
      )
    ).Item as { owner?: string; counter: number };

  /** Waits until the shard's counter has moved `steps` past its value now: someone keeps renewing. */
  async function renewedAgain(shard: number, steps = 3) {
    const from = (await row(shard)).counter;
    await eventually(async () => ((await row(shard)).counter >= from + steps ? true : undefined), {
      timeoutMs: 5_000,
      message: `shard ${shard} renewed ${steps} more times`,
    });
  }

  it('keeps renewing shard 0 while letting go of a lost shard 1 is stuck', async () => {
    const lost: number[] = [];
    const host = manager('leases-a', {
      lost: (shard) => {
        lost.push(shard);
        return stuck();
      },
    });
    await host.start();
    expect(host.heldShards()).toEqual([0, 1]);
    // Another host takes shard 1, as it would after judging the lease expired.
    await setOwner(1, 'leases-b');
    await eventually(() => (lost.includes(1) ? true : undefined), { message: 'shard 1 lost' });
    await renewedAgain(0);
    expect(host.heldShards()).toEqual([0]);
    expect(host.holds(0)).toBe(true);
  });

  it('a graceful stop keeps renewing while the shards are handed over, then releases them', async () => {
    const handingOver: number[] = [];
    const host = manager('leases-c', {
      handOver: (shard) => {
        handingOver.push(shard);
        return stuck();
      },
    });
    await host.start();
    expect(host.heldShards()).toEqual([0, 1]);
    const stopping = host.stop();
    await eventually(() => (handingOver.length === 2 ? true : undefined), { message: 'both handed over' });
    expect(host.holds(0)).toBe(false);
    // A lease that stopped being renewed here would expire under sockets still open.
    await renewedAgain(0);
    await renewedAgain(1);
    for (const release of unblock.splice(0)) release();
    expect(await stopping).toEqual({ released: [0, 1], notReleased: [] });
    expect((await row(0)).owner).toBeUndefined();
    expect((await row(1)).owner).toBeUndefined();
  });
});
