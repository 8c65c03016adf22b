import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { start as startLocal, stop } from './local-process.js';

/**
 * `npm start` as a user runs it: a child process that starts DynamoDB Local on disk and fauxqs,
 * serves the API, answers the README's walk-through, stops cleanly on SIGTERM, and keeps its
 * tenants across a restart.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'wafleet-start-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const start = (args: string[] = [], ready?: RegExp) => startLocal({ dataDir, args, ready });

describe('npm start', () => {
  it('runs the README walk-through, stops on SIGTERM and keeps tenants across a restart', async () => {
    const first = await start();
    const admin = readFileSync(join(dataDir, 'admin-key'), 'utf8').trim();
    expect(first.output()).toContain(admin); // printed once, on first run

    const created = await fetch(`${first.base}/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tenantId: '962302', name: 'Beauty Salon' }),
    }).then((r) => r.json() as Promise<{ data: { apiKey: string } }>);
    const key = created.data.apiKey as string;
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

    const init = await fetch(`${first.base}/sessions/962302/initialize`, { method: 'POST', headers: auth });
    expect(init.status).toBe(202);
    const sent = await fetch(`${first.base}/send`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ phone: '79001234567', message: 'Hello World' }),
    }).then((r) => r.json() as Promise<{ data: { messageId: string } }>);
    expect(sent.data.messageId).toMatch(/^3EB0/);
    const status = await fetch(`${first.base}/messages/${sent.data.messageId}`, { headers: auth }).then(
      (r) => r.json() as Promise<{ data: { messageId: string } }>,
    );
    expect(status.data.messageId).toBe(sent.data.messageId);

    expect(await stop(first)).toBe(0);

    const second = await start();
    expect(second.output()).not.toContain(admin);
    const again = await fetch(`${second.base}/sessions/962302/status`, { headers: auth });
    expect(again.status).toBe(200);
    expect(await stop(second)).toBe(0);
  }, 120_000);
});

describe('npm run demo', () => {
  it('links a simulated phone, sends, and shows the echo arriving as a verified webhook', async () => {
    const demo = await start(['--demo'], /Demo: a simulated phone/);
    const contact = demo.output().match(/simulated contact \(\+(\d+)\)/)?.[1];
    const key = demo.output().match(/Bearer (wfk_\S+)"/)?.[1];
    expect(contact && key).toBeTruthy();
    const sent = await fetch(`${demo.base}/send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ phone: contact, message: 'Hello' }),
    });
    expect(sent.status).toBe(202);
    const deadline = Date.now() + 30_000;
    while (!/signature verified\s+message\.received/.test(demo.output()) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(demo.output()).toMatch(/signature verified\s+session\.status\s+status=connected/);
    expect(demo.output()).toMatch(/signature verified\s+message\.received\s+.*from=\d+/);
    expect(demo.output()).not.toContain('echo: Hello'); // message text is never printed
    expect(await stop(demo)).toBe(0);
  }, 120_000);
});
