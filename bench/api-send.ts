/**
 * POST /send through the real node server (auth, rate limit, validation, DynamoDB Local writes,
 * an SQS FIFO send on fauxqs) against a bare Hono route on the same server, same run.
 * Run: npx tsx bench/api-send.ts [seconds=10] [connections=10]
 */
import { serve } from '@hono/node-server';
import autocannon from 'autocannon';
import { Hono } from 'hono';
import { createApp } from '../functions/api/app.js';
import { buildApiDeps } from '../functions/api/deps.js';
import { createLogger } from '../shared/logger.js';
import { fmt, startBenchStack } from './support.js';

const seconds = Number(process.argv[2] ?? 10);
const connections = Number(process.argv[3] ?? 10);

const stack = await startBenchStack({
  ADMIN_API_KEY: 'wfk_admin_bench',
  RATE_LIMIT_MAX_REQUESTS: '100000000',
});
const deps = await buildApiDeps(stack.config, createLogger({ service: 'bench', level: 'silent' }));
const tenant = await deps.tenants.create({ tenantId: 'bench', name: 'Bench' });
const apiKey = await deps.apiKeys.issue(tenant.tenantId);

// One server: the real app under /api/whatsapp, a bare route beside it.
const root = new Hono();
root.post('/bare', async (c) => c.json({ success: true, data: await c.req.json() }, 202));
root.route('/', createApp(deps));
const server = serve({ fetch: root.fetch, port: 0, hostname: '127.0.0.1' });
await new Promise((r) => server.once('listening', r));
const port = (server.address() as { port: number }).port;

const body = JSON.stringify({ phone: '79001234567', message: 'benchmark message' });
const headers = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` };

async function run(path: string) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    method: 'POST',
    headers,
    body,
    connections,
    duration: seconds,
  });
  const ok = result['2xx'];
  return {
    rps: ok / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.non2xx + result.errors,
  };
}

await run('/bare'); // warm-up of the JIT and connections, not reported
const bare = await run('/bare');
const send = await run('/api/whatsapp/send');

console.log(`\nPOST /send vs a bare Hono route, ${seconds} s each, ${connections} connections, same server`);
console.log('route          req/s     p50 ms   p99 ms   non-2xx');
for (const [name, r] of [
  ['bare Hono', bare],
  ['POST /send', send],
] as const) {
  console.log(
    `${name.padEnd(13)} ${fmt(r.rps).padStart(7)} ${fmt(r.p50, 1).padStart(9)} ${fmt(r.p99, 1).padStart(8)} ${String(r.errors).padStart(9)}`,
  );
}
console.log(
  `ratio /send ÷ bare: throughput ${(send.rps / bare.rps).toFixed(3)}, p50 latency ×${(send.p50 / Math.max(bare.p50, 0.01)).toFixed(1)}`,
);

server.close();
await stack.stop();
process.exit(0);
