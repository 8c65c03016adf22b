import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Template } from 'aws-cdk-lib/assertions';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_ASSET_EXCLUDES } from '../../infra/socket-host.js';
import { socketHostBuildOptions } from '../../infra/socket-host-bundle.js';
import { createAwsClients } from '../../shared/aws/clients.js';
import { deadLetterName, physicalName, webhookQueue } from '../../shared/resources.js';
import { eventually, testConfig } from '../support/env.js';
import { drainQueue, isolatedResources } from '../support/resources.js';
import { synthGateway } from './synth.js';

/** Budgets with headroom over the measured sizes (API 1.36 MB, dispatcher 1.07 MB, socket host 6.04 MB). */
const BUDGET_BYTES = { api: 3_000_000, dispatcher: 2_000_000, socketHost: 9_000_000 };
const MB = 1_048_576;

let outdir: string;
let template: Template;
let env: Record<string, string>;

/** The bundled index.mjs of the function with this description, in the synthesized cloud assembly. */
function bundleOf(description: string): string {
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties: { Description?: string }; Metadata?: Record<string, string> }
  >;
  const fn = Object.values(resources).find(
    (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Description === description,
  );
  const assetPath = fn?.Metadata?.['aws:asset:path'];
  if (!assetPath) throw new Error(`no bundled asset for ${description}`);
  return join(outdir, assetPath, 'index.mjs');
}

beforeAll(async () => {
  // CDK's own NodejsFunction bundling (esbuild, the options in infra/bundling.ts), not a copy of it.
  const synthesized = synthGateway({ 'aws:cdk:enable-asset-metadata': true }, { bundle: true });
  template = synthesized.template;
  outdir = synthesized.app.outdir;
  env = await isolatedResources('bundles');
});

describe('Lambda bundles', () => {
  it.each([
    ['api', 'wafleet HTTP API (Hono)'],
    ['dispatcher', 'wafleet webhook dispatcher'],
  ] as const)('keeps the %s bundle under its size budget', (name, description) => {
    const size = statSync(bundleOf(description)).size;
    expect(size, `${name} bundle is ${(size / MB).toFixed(2)} MB`).toBeLessThan(BUDGET_BYTES[name]);
  });

  it('runs the bundled API: GET /health with the admin key reads DynamoDB through the bundle', async () => {
    Object.assign(process.env, env);
    const { handler } = await import(pathToFileURL(bundleOf('wafleet HTTP API (Hono)')).href);
    const response = await handler(
      httpApiEvent('GET', '/api/whatsapp/health', process.env.ADMIN_API_KEY!),
      {},
    );
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body);
    expect(body).toMatchObject({ success: true, data: { status: 'ok', totalSessions: 0 } });
  });

  it('runs the bundled dispatcher: a message that is not an event goes to the dead-letter queue', async () => {
    Object.assign(process.env, env);
    const { handler } = await import(pathToFileURL(bundleOf('wafleet webhook dispatcher')).href);
    const event: SQSEvent = { Records: [sqsRecord('bundle-check', 'not an event')] };
    const result: SQSBatchResponse = await handler(event, {});
    expect(result.batchItemFailures).toEqual([]);
    const config = testConfig(env);
    const dead = await drainQueue(
      createAwsClients(config).sqs,
      physicalName(config.resourcePrefix, deadLetterName(webhookQueue)),
    );
    expect(dead.map((m) => m.body)).toEqual(['not an event']);
  });
});

describe('socket host image', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('bundles as the Dockerfile does, under budget, and the bundle serves /health and stops on SIGTERM', async () => {
    const outfile = join(mkdtempSync(join(tmpdir(), 'socket-host-')), 'socket-host.mjs');
    await build(socketHostBuildOptions(outfile));
    const size = statSync(outfile).size;
    expect(size, `socket host bundle is ${(size / MB).toFixed(2)} MB`).toBeLessThan(BUDGET_BYTES.socketHost);

    const port = await freePort();
    child = spawn(process.execPath, [outfile], {
      env: { ...process.env, ...env, HOST_HEALTH_PORT: String(port), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // main.ts installs its SIGTERM handler once start-up is done, which it logs.
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    await eventually(() => (output.includes('"socket host started"') ? true : undefined), {
      timeoutMs: 20_000,
      message: 'the bundled socket host to start',
    });
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('keeps dependencies, git data and build output out of the Docker context (and the asset hash)', () => {
    const contexts = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
    const dockerContext = contexts
      .map((name) => join(outdir, name))
      .find((dir) => readdirSync(dir).includes('socket-host'));
    expect(dockerContext).toBeDefined();
    const entries = readdirSync(dockerContext!);
    for (const excluded of ['node_modules', '.git', 'cdk.out', '.wafleet']) {
      expect(IMAGE_ASSET_EXCLUDES).toContain(excluded);
      expect(entries).not.toContain(excluded);
    }
    expect(readdirSync(join(dockerContext!, 'socket-host'))).toContain('Dockerfile');
  });
});

function httpApiEvent(method: string, path: string, apiKey: string) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { authorization: `Bearer ${apiKey}`, host: 'api.example.com', 'user-agent': 'vitest' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.1', userAgent: 'vitest' },
      requestId: 'bundle-check',
      routeKey: '$default',
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    isBase64Encoded: false,
  };
}

function sqsRecord(messageId: string, body: string): SQSEvent['Records'][number] {
  return {
    messageId,
    receiptHandle: `${messageId}-receipt`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:webhook-events',
    awsRegion: 'us-east-1',
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}
