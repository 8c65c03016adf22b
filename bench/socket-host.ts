/**
 * The socket host against the WhatsApp simulator, compared with bare Baileys in the same run:
 *   1. memory per connected idle session (host process RSS) vs bare Baileys sockets, N = 200 500;
 *   2. end-to-end sends per second (API → SQS → socket host → simulator ack, until the phone has
 *      decrypted each message) vs bare Baileys `sendMessage` loops to the same phone.
 * Run: `MALLOC_ARENA_MAX=2 NODE_OPTIONS=--expose-gc npx tsx bench/socket-host.ts [N...]` (`--sends`
 * for the sends only). MALLOC_ARENA_MAX=2 is what the socket host's container sets; both children inherit it.
 * Needs Java (DynamoDB Local).
 */
import { fork } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import inspector from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { BufferJSON } from '@whiskeysockets/baileys';
import { startApiServer } from '../functions/api/server.js';
import { createAwsClients } from '../shared/aws/clients.js';
import { type Config, loadConfig } from '../shared/config.js';
import { createLogger } from '../shared/logger.js';
import { shardOf } from '../shared/shard.js';
import { createApiKeyStore } from '../shared/stores/api-keys.js';
import { createSessionStore } from '../shared/stores/sessions.js';
import { tableName } from '../shared/stores/table-names.js';
import { createTenantStore } from '../shared/stores/tenants.js';
import { createAuthStateRepository } from '../socket-host/auth-state/dynamo-auth-state.js';
import { FENCE_KEY } from '../socket-host/auth-state/fence.js';
import { startSocketHost } from '../socket-host/host.js';
import { connectBaileys, createMemoryAuth } from '../test/simulator/baileys-client.js';
import { type Phone, type Simulator, startSimulator } from '../test/simulator/index.js';
import { fmt, startBenchStack } from './support.js';

const self = fileURLToPath(import.meta.url);
const IDLE_WINDOW_MS = 5_000;
const SENDERS = 10;
const MESSAGES_PER_SENDER = 30;

if (process.argv[2] === '--host') await hostChild();
else
  await main(
    process.argv.includes('--sends')
      ? []
      : process.argv
          .slice(2)
          .map(Number)
          .filter((n) => n > 0)
          .concat(process.argv.length > 2 ? [] : [200, 500]),
  );

/** Child: a socket host; reports its RSS before sessions and, when asked, after they are idle. */
async function hostChild() {
  const config = loadConfig(process.env);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const baseline = process.memoryUsage().rss;
  const baselineHeap = process.memoryUsage().heapUsed;
  const host = await startSocketHost({ config, healthPort: null, commandWaitSeconds: 1 });
  const profile = await startCpuProfile(process.env.BENCH_CPU_PROFILE);
  process.send?.({ baseline, baselineHeap });
  process.on('message', async (m) => {
    if (m !== 'measure') return;
    await new Promise((r) => setTimeout(r, IDLE_WINDOW_MS));
    gc?.();
    gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    // maxRSS shows the resume's peak, which idle RSS partly keeps (freed memory stays with the process).
    process.send?.({
      rss,
      heapUsed,
      maxRss: process.resourceUsage().maxRSS * 1024,
      sessions: host.sessions().length,
    });
  });
  process.on(
    'disconnect',
    () =>
      void profile()
        .then(() => host.stop())
        .then(() => process.exit(0)),
  );
}

/** `BENCH_CPU_PROFILE=file.cpuprofile`: a CPU profile of the host child, for Chrome DevTools. */
async function startCpuProfile(file: string | undefined): Promise<() => Promise<void>> {
  if (!file) return async () => {};
  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(file, JSON.stringify(profile));
  };
}

async function main(ns: number[]) {
  const sim = await startSimulator({ seed: 'bench-host' });
  if (ns.length) {
    console.log('\nMemory per connected idle session (RSS delta / N, after GC), and time to resume all N');
    console.log(
      '     N | socket host | bare Baileys | host / bare | host resume | host heap | host peak RSS',
    );
  }
  for (const n of ns) {
    const bareKb = await bareIdleRssPerSocket(n);
    const host = await hostIdleRssPerSession(sim, n);
    console.log(
      `${String(n).padStart(6)} | ${fmt(host.kb).padStart(8)} KB | ${fmt(bareKb).padStart(9)} KB | ${(host.kb / bareKb).toFixed(2).padStart(11)} | ${(host.resumeMs / 1000).toFixed(1).padStart(9)} s | ${fmt(host.heapKb).padStart(6)} KB | ${fmt(host.peakKb).padStart(10)} KB`,
    );
  }
  const sends = await sendThroughput(sim);
  await sim.stop();

  console.log(
    `\nSends, ${SENDERS} tenants × ${MESSAGES_PER_SENDER} messages, until the phone decrypted each`,
  );
  console.log(`  gateway (API → SQS → host → simulator): ${fmt(sends.gateway, 1)} msg/s`);
  console.log(`  bare Baileys sendMessage loops:          ${fmt(sends.bare, 1)} msg/s`);
  console.log(`  ratio gateway / bare:                    ${(sends.gateway / sends.bare).toFixed(3)}`);
}

/** bench/baileys-idle.ts in a child of its own, so both figures come from this run. */
function bareIdleRssPerSocket(n: number): Promise<number> {
  const child = fork(fileURLToPath(new URL('./baileys-idle.ts', import.meta.url)), ['--run', String(n)], {
    execArgv: process.execArgv,
    stdio: 'inherit',
  });
  return new Promise((resolve) =>
    child.once('message', (m) => resolve((m as { rssPerSocketKb: number }).rssPerSocketKb)),
  );
}

/** N tenants pre-linked into DynamoDB, resumed by a socket host in a child process. */
async function hostIdleRssPerSession(
  sim: Simulator,
  n: number,
): Promise<{ kb: number; heapKb: number; peakKb: number; resumeMs: number }> {
  const stack = await startBenchStack(simulatorEnv(sim));
  const devices = await seedLinkedTenants(stack.config, sim, n, 'idle');
  const child = fork(self, ['--host'], {
    execArgv: process.execArgv,
    env: envOf(stack.config, sim),
    stdio: 'inherit',
  });
  const { baseline, baselineHeap } = await nextMessage<{ baseline: number; baselineHeap: number }>(child);
  const resumeStart = performance.now();
  await waitFor(() => devices.every((d) => sim.openConnectionCount(d.number) === 1), 60_000 + n * 1_000);
  const resumeMs = performance.now() - resumeStart;
  child.send('measure');
  const { rss, heapUsed, maxRss } = await nextMessage<{ rss: number; heapUsed: number; maxRss: number }>(
    child,
  );
  child.disconnect();
  await new Promise((r) => child.once('exit', r));
  await stack.stop();
  return {
    kb: (rss - baseline) / 1024 / n,
    heapKb: (heapUsed - baselineHeap) / 1024 / n,
    peakKb: (maxRss - baseline) / 1024 / n,
    resumeMs,
  };
}

async function sendThroughput(sim: Simulator): Promise<{ gateway: number; bare: number }> {
  const total = SENDERS * MESSAGES_PER_SENDER;
  // Gateway: the API in this process, a socket host in a child, tenants linked in DynamoDB.
  const stack = await startBenchStack({
    ...simulatorEnv(sim),
    SEND_MIN_INTERVAL_MS: '0',
    RATE_LIMIT_MAX_REQUESTS: '1000000',
  });
  const contact = sim.createPhone({ autoDeliveryReceipts: false });
  const senders = await seedLinkedTenants(stack.config, sim, SENDERS, 'send');
  const child = fork(self, ['--host'], {
    execArgv: process.execArgv,
    env: envOf(stack.config, sim),
    stdio: 'inherit',
  });
  await nextMessage(child);
  await waitFor(() => senders.every((d) => sim.openConnectionCount(d.number) === 1), 120_000);
  const api = await startApiServer({
    config: stack.config,
    log: createLogger({ service: 'bench', level: 'silent' }),
  });
  const keys = await Promise.all(senders.map((s) => s.apiKey));
  const gatewayStart = performance.now();
  const gatewayDone = receivedAll(sim, contact, total);
  await Promise.all(
    keys.map(async (key) => {
      for (let i = 0; i < MESSAGES_PER_SENDER; i++) {
        const res = await fetch(`${api.url}/api/whatsapp/send`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ phone: contact.number, message: `gateway ${i}` }),
        });
        if (res.status !== 202) throw new Error(`send answered ${res.status}`);
      }
    }),
  );
  await gatewayDone;
  const gateway = total / ((performance.now() - gatewayStart) / 1000);
  child.disconnect();
  await new Promise((r) => child.once('exit', r));
  await api.close();
  await stack.stop();

  // Bare: the same number of sockets and messages, straight from sendMessage.
  const bareContact = sim.createPhone({ autoDeliveryReceipts: false });
  const clients = Array.from({ length: SENDERS }, () => {
    const { creds, keys: k } = sim.createLinkedDevice({ preKeyCount: 10 });
    return connectBaileys(sim, { auth: createMemoryAuth({ creds, keys: k }) });
  });
  await Promise.all(clients.map((c) => c.waitForOpen(60_000)));
  const bareStart = performance.now();
  const bareDone = receivedAll(sim, bareContact, total);
  await Promise.all(
    clients.map(async (c) => {
      for (let i = 0; i < MESSAGES_PER_SENDER; i++)
        await c.sock.sendMessage(bareContact.jid, { text: `bare ${i}` });
    }),
  );
  await bareDone;
  const bare = total / ((performance.now() - bareStart) / 1000);
  await Promise.all(clients.map((c) => c.end()));
  return { gateway, bare };
}

interface SeededTenant {
  tenantId: string;
  number: string;
  phone: Phone;
  apiKey: Promise<string>;
}

/** Writes what a QR link leaves behind (creds, pre-keys, a connected session row) for n tenants. */
async function seedLinkedTenants(
  config: Config,
  sim: Simulator,
  n: number,
  label: string,
): Promise<SeededTenant[]> {
  const { dynamo, s3 } = createAwsClients(config);
  const authTable = tableName(config, 'authState');
  const repo = createAuthStateRepository({ dynamo, s3, tableName: authTable, bucketName: config.bucketName });
  const sessions = createSessionStore({ dynamo, config });
  const tenants = createTenantStore({ dynamo, config });
  const apiKeys = createApiKeyStore({ dynamo, config });
  const out: SeededTenant[] = [];
  for (let i = 0; i < n; i++) {
    const tenantId = `${label}-${i}`;
    const { creds, keys, phone } = sim.createLinkedDevice({ preKeyCount: 10 });
    const fence = { tenantId, owner: 'bench-seed', generation: 1 };
    await dynamo.send(new PutCommand({ TableName: authTable, Item: { ...fence, key: FENCE_KEY } }));
    const doc: Record<string, unknown> = { creds };
    for (const [id, value] of Object.entries(keys['pre-key'])) doc[`pre-key#${id}`] = value;
    await repo.import(fence, JSON.stringify(doc, BufferJSON.replacer));
    await tenants.create({ tenantId, name: tenantId });
    await sessions.ensure(tenantId, shardOf(tenantId, config.shardCount));
    await sessions.setDesired(tenantId, 'running', { method: 'qr' });
    await sessions.updateStatus(tenantId, { status: 'connected', epoch: 1 });
    out.push({ tenantId, number: phone.number, phone, apiKey: apiKeys.issue(tenantId) });
  }
  return out;
}

function simulatorEnv(sim: Simulator) {
  return { WA_WEB_SOCKET_URL: sim.url, WA_SIMULATOR_ROOT_KEY: sim.rootPublicKey.toString('base64') };
}

function envOf(config: Config, sim: Simulator): NodeJS.ProcessEnv {
  return {
    ...process.env,
    WAFLEET_ENV: 'local',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'silent',
    SHARD_COUNT: String(config.shardCount),
    RESOURCE_PREFIX: config.resourcePrefix,
    BUCKET_NAME: config.bucketName,
    AWS_ENDPOINT_URL_DYNAMODB: config.endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: config.endpoints.sqs,
    AWS_ENDPOINT_URL_S3: config.endpoints.s3,
    SEND_MIN_INTERVAL_MS: '0',
    ...simulatorEnv(sim),
  };
}

function receivedAll(sim: Simulator, phone: Phone, count: number): Promise<void> {
  return new Promise((resolve) => {
    let got = 0;
    const onReceived = ({ phoneNumber }: { phoneNumber: string }) => {
      if (phoneNumber === phone.number && ++got === count) {
        sim.events.off('phone-received', onReceived);
        resolve();
      }
    };
    sim.events.on('phone-received', onReceived);
  });
}

function nextMessage<T>(child: ReturnType<typeof fork>): Promise<T> {
  return new Promise((resolve) => child.once('message', (m) => resolve(m as T)));
}

async function waitFor(check: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for sessions to connect');
    await new Promise((r) => setTimeout(r, 100));
  }
}
