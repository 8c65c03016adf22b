/**
 * N idle, linked Baileys sockets against the WhatsApp simulator: memory per socket and time to
 * `open`. Run: `npx tsx bench/baileys-idle.ts [N...]` (default 50 200 500), add
 * `node --expose-gc` via `NODE_OPTIONS=--expose-gc` for steadier RSS figures.
 *
 * Each N runs in a fresh process, and the simulator runs in a child of that process, so the RSS
 * delta is the Baileys sockets' alone. Devices come pre-linked (`createLinkedDevice`), so no QR
 * round trip or 812-key upload is part of the figure.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type AuthenticationCreds, BufferJSON, type KeyPair } from '@whiskeysockets/baileys';
import { connectBaileys, createMemoryAuth } from '../test/simulator/baileys-client.js';
import { startSimulator } from '../test/simulator/index.js';
import type { Simulator } from '../test/simulator/server.js';

const CONCURRENCY = 100;
const IDLE_WINDOW_MS = 5_000;

interface RunResult {
  n: number;
  rssPerSocketKb: number;
  heapPerSocketKb: number;
  openP50Ms: number;
  openP99Ms: number;
  totalOpenMs: number;
  idleCpuPercent: number;
  failed: number;
}

interface SimulatorReady {
  url: string;
  rootPublicKey: string;
  devices: string[];
}

const self = fileURLToPath(import.meta.url);
const mode = process.argv[2];

if (mode === '--simulator') {
  await serveSimulator(Number(process.argv[3]));
} else if (mode === '--run') {
  const result = await runOnce(Number(process.argv[3]));
  process.send?.(result);
  process.exit(0);
} else {
  await orchestrate(
    process.argv
      .slice(2)
      .map(Number)
      .filter((n) => n > 0),
  );
}

/** Child: the simulator with N pre-linked devices; their creds go to the parent as BufferJSON. */
async function serveSimulator(n: number): Promise<void> {
  const sim = await startSimulator({ seed: `bench-${n}` });
  const devices = Array.from({ length: n }, () => {
    const { creds, keys } = sim.createLinkedDevice({ preKeyCount: 10 });
    return JSON.stringify({ creds, keys }, BufferJSON.replacer);
  });
  const ready: SimulatorReady = {
    url: sim.url,
    rootPublicKey: sim.rootPublicKey.toString('base64'),
    devices,
  };
  process.send?.(ready);
  process.on('disconnect', () => {
    void sim.stop().then(() => process.exit(0));
  });
}

async function runOnce(n: number): Promise<RunResult> {
  const child = fork(self, ['--simulator', String(n)], { execArgv: process.execArgv, stdio: 'inherit' });
  const ready = await new Promise<SimulatorReady>((resolve) =>
    child.once('message', (m) => resolve(m as SimulatorReady)),
  );
  // Only what connectBaileys needs from a simulator: its URL and root.
  const sim = { url: ready.url, rootPublicKey: Buffer.from(ready.rootPublicKey, 'base64') } as Simulator;
  const auths = ready.devices.map((json) => {
    const { creds, keys } = JSON.parse(json, BufferJSON.reviver) as {
      creds: AuthenticationCreds;
      keys: { 'pre-key': Record<string, KeyPair> };
    };
    return createMemoryAuth({ creds, keys });
  });
  ready.devices.length = 0;
  const before = settledMemory();
  const clients: ReturnType<typeof connectBaileys>[] = [];
  const openTimes: number[] = [];
  let failed = 0;
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, n) }, async () => {
      while (next < auths.length) {
        const auth = auths[next++]!;
        const t0 = performance.now();
        const client = connectBaileys(sim, { auth });
        clients.push(client);
        try {
          await client.waitForOpen(60_000);
          openTimes.push(performance.now() - t0);
        } catch {
          failed++;
        }
      }
    }),
  );
  const totalOpenMs = performance.now() - started;
  const cpuBefore = process.cpuUsage();
  const idleStart = performance.now();
  await new Promise((resolve) => setTimeout(resolve, IDLE_WINDOW_MS));
  const cpu = process.cpuUsage(cpuBefore);
  const idleCpuPercent = ((cpu.user + cpu.system) / 1000 / (performance.now() - idleStart)) * 100;
  const after = settledMemory();
  openTimes.sort((a, b) => a - b);
  const result: RunResult = {
    n,
    rssPerSocketKb: (after.rss - before.rss) / 1024 / n,
    heapPerSocketKb: (after.heapUsed - before.heapUsed) / 1024 / n,
    openP50Ms: percentile(openTimes, 0.5),
    openP99Ms: percentile(openTimes, 0.99),
    totalOpenMs,
    idleCpuPercent,
    failed,
  };
  for (const client of clients) client.sock.end(undefined);
  child.disconnect();
  return result;
}

function settledMemory(): NodeJS.MemoryUsage {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return process.memoryUsage();
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

async function orchestrate(sizes: number[]): Promise<void> {
  const ns = sizes.length > 0 ? sizes : [50, 200, 500];
  const results: RunResult[] = [];
  for (const n of ns) {
    const run = fork(self, ['--run', String(n)], { execArgv: process.execArgv, stdio: 'inherit' });
    results.push(
      await new Promise<RunResult>((resolve) => run.once('message', (m) => resolve(m as RunResult))),
    );
    await new Promise((resolve) => run.once('exit', resolve));
  }
  const gcNote =
    process.execArgv.includes('--expose-gc') || process.env.NODE_OPTIONS?.includes('--expose-gc');
  console.log(
    `\nBaileys idle sockets against the simulator (RSS ${gcNote ? 'after GC' : 'without forced GC'})`,
  );
  console.log('      N | RSS/socket | heap/socket | open p50 | open p99 | all open | idle CPU | failed');
  for (const r of results) {
    console.log(
      [
        String(r.n).padStart(7),
        `${r.rssPerSocketKb.toFixed(0).padStart(7)} KB`,
        `${r.heapPerSocketKb.toFixed(0).padStart(8)} KB`,
        `${r.openP50Ms.toFixed(0).padStart(5)} ms`,
        `${r.openP99Ms.toFixed(0).padStart(5)} ms`,
        `${(r.totalOpenMs / 1000).toFixed(2).padStart(6)} s`,
        `${r.idleCpuPercent.toFixed(1).padStart(6)} %`,
        String(r.failed).padStart(6),
      ].join(' | '),
    );
  }
}
