import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverEgressIp } from '../../socket-host/process/egress-ip.js';

describe('discoverEgressIp against a real HTTP "what is my IP" server', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/ip') return res.end('203.0.113.7\n');
      if (req.url === '/v6') return res.end('2001:db8::7');
      if (req.url === '/html') return res.end('<html>captive portal</html>');
      if (req.url === '/error') return res.writeHead(503).end('198.51.100.1');
      // /hang: never answers
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('reads an IPv4 or IPv6 address', async () => {
    expect(await discoverEgressIp(`${base}/ip`)).toBe('203.0.113.7');
    expect(await discoverEgressIp(`${base}/v6`)).toBe('2001:db8::7');
  });

  it('gives undefined, never an error, for no URL, a non-address, an error status or no answer', async () => {
    expect(await discoverEgressIp(undefined)).toBeUndefined();
    expect(await discoverEgressIp(`${base}/html`)).toBeUndefined();
    expect(await discoverEgressIp(`${base}/error`)).toBeUndefined();
    expect(await discoverEgressIp(`${base}/hang`, 200)).toBeUndefined();
  });
});
