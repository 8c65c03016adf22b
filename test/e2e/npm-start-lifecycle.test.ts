import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startDynamoLocal } from '../../local/servers.js';
import { eventually } from '../support/env.js';
import { dynamoJavaPids, killDynamoJava, launch, start, stop } from './local-process.js';

/**
 * How `npm start` ends: Ctrl-C in a terminal signals the whole process group, a crash leaves no
 * DynamoDB Local behind, and a second start on a taken port says so in one line.
 */
const dataDirs: string[] = [];
const newDataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'wafleet-lifecycle-'));
  dataDirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dataDirs.splice(0)) {
    killDynamoJava(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The lease rows as the stopped gateway left them on disk, read by a DynamoDB Local of our own. */
async function leasesOnDisk(dataDir: string): Promise<{ leaseKey?: string; owner?: string }[]> {
  const dynamo = await startDynamoLocal({ dbPath: join(dataDir, 'dynamodb') });
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const { Items = [] } = await client.send(new ScanCommand({ TableName: 'wafleet-leases' }));
    return Items.map((item) => ({ leaseKey: item.leaseKey?.S, owner: item.owner?.S }));
  } finally {
    client.destroy();
    await dynamo.stop();
  }
}

describe('npm start lifecycle', () => {
  it('stops on Ctrl-C to the process group with DynamoDB Local outliving the gateway: leases released', async () => {
    const dataDir = newDataDir();
    const gateway = await start({ dataDir, entry: 'tsx', detached: true, env: { LOG_LEVEL: 'info' } });
    expect(gateway.output().match(/"msg":"lease taken"/g)).toHaveLength(4);
    const pid = gateway.child.pid as number;

    process.kill(-pid, 'SIGINT'); // what a terminal does on Ctrl-C: the gateway and its children

    expect(await gateway.exited).toEqual({ code: 0, signal: null });
    expect(gateway.output()).not.toContain('ECONNREFUSED');
    expect(gateway.output()).not.toContain('lease release failed');
    expect(dynamoJavaPids(dataDir)).toEqual([]);
    const leases = await leasesOnDisk(dataDir);
    expect(leases).toHaveLength(4);
    expect(leases.filter((lease) => lease.owner !== undefined)).toEqual([]);
  }, 150_000);

  it('leaves no DynamoDB Local running when the gateway is killed outright', async () => {
    const dataDir = newDataDir();
    const gateway = await start({ dataDir });
    expect(dynamoJavaPids(dataDir)).toHaveLength(1);

    gateway.child.kill('SIGKILL'); // no shutdown handler runs

    await gateway.exited;
    await eventually(() => (dynamoJavaPids(dataDir).length === 0 ? true : undefined), {
      timeoutMs: 15_000,
      intervalMs: 100,
      message: 'the orphaned DynamoDB Local to stop',
    });
  }, 120_000);

  it('says in one line that the port is taken when a second npm start runs, and leaves nothing running', async () => {
    const dataDir = newDataDir();
    const port = String(await freePort());
    const first = await start({ dataDir, env: { PORT: port } });

    const second = launch({ dataDir, env: { PORT: port } });
    const { code } = await second.exited;

    expect(code).toBe(1);
    expect(second.output().trim()).toBe(
      `Port ${port} is already in use (another npm start running?). Stop it, or choose another port: PORT=${Number(port) + 1} npm start`,
    );
    expect(dynamoJavaPids(dataDir)).toHaveLength(1); // the first one's
    expect((await fetch(`${first.base}/health`)).status).toBe(200); // and the first one is unharmed
    expect(await stop(first)).toBe(0);
    expect(dynamoJavaPids(dataDir)).toEqual([]);
  }, 120_000);
});
