import { request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiDeps } from '../../../functions/api/deps.js';
import { type ApiServer, startApiServer } from '../../../functions/api/server.js';
import { eventually, testConfig, uniqueTenantId } from '../../support/env.js';
import { isolatedResources } from '../../support/resources.js';

/**
 * A client that goes away in the middle of its upload is its own abort, not an outage: the API
 * logs it quietly as REQUEST_ABORTED, never at error level as DATABASE_ERROR.
 */

interface LogLine {
  level: number;
  msg: string;
  status?: number;
  code?: string;
  route?: string;
  method?: string;
}

const ERROR_LEVEL = 50;

describe('a client that drops its upload', () => {
  let server: ApiServer;
  let apiKey: string;
  const lines: LogLine[] = [];

  beforeAll(async () => {
    const config = testConfig({ ...(await isolatedResources('abort')), PORT: '0' });
    const capture = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const log = pino({ level: 'debug', base: { service: 'api-abort-test' } }, capture);
    server = await startApiServer({ config, log, deps: await buildApiDeps(config, log) });
    const tenantId = uniqueTenantId('abort');
    const created = await fetch(`${server.url}/api/whatsapp/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${config.adminApiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tenantId, name: 'Abort' }),
    });
    apiKey = ((await created.json()) as { data: { apiKey: string } }).data.apiKey;
  });
  afterAll(() => server?.close());

  /** Starts a POST /send whose body never finishes, and destroys the socket once the server has the first bytes. */
  async function dropMidUpload(headers: Record<string, string>, firstBytes: string): Promise<void> {
    const before = lines.length;
    const url = new URL(`${server.url}/api/whatsapp/send`);
    const req = httpRequest(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...headers },
    });
    req.on('error', () => undefined); // the socket is destroyed on purpose
    await new Promise<void>((resolve) => req.write(firstBytes, () => resolve()));
    // The server has the headers and a first chunk; the body then never ends.
    req.destroy();
    await eventually(() => (lines.slice(before).some((l) => l.msg === 'request') ? true : undefined), {
      message: 'the access line of the aborted request',
    });
  }

  it.each([
    ['a chunked upload', { 'transfer-encoding': 'chunked' }],
    ['an upload with a Content-Length it never reaches', { 'content-length': '5000' }],
  ])('%s: logged as REQUEST_ABORTED (499) at info or below, never as an error', async (_, headers) => {
    const before = lines.length;
    await dropMidUpload(headers, '{"phone":"79001234567","message":"hel');
    const logged = lines.slice(before);
    expect(logged.filter((l) => l.level >= ERROR_LEVEL)).toEqual([]);
    expect(JSON.stringify(logged)).not.toContain('DATABASE_ERROR');
    expect(logged.find((l) => l.msg === 'request')).toMatchObject({ method: 'POST', status: 499 });
    expect(logged.find((l) => l.code === 'REQUEST_ABORTED')).toMatchObject({ level: 20 });
  });

  it('still answers a complete chunked upload', async () => {
    const res = await fetch(`${server.url}/api/whatsapp/send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: new Blob([JSON.stringify({ phone: '79001234567', message: 'whole' })]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(202);
  });
});
