import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchMedia } from '../../../socket-host/media/fetch-media.js';

/** Outbound media downloads against a real HTTP server on loopback (allowed here by policy). */
describe('fetching media to send', () => {
  let server: Server;
  let base: string;
  const image = Buffer.alloc(4096, 7);

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/cat.jpg') res.writeHead(200, { 'content-type': 'image/jpeg' }).end(image);
      else if (req.url === '/page') res.writeHead(200, { 'content-type': 'text/html' }).end('<html>');
      else if (req.url === '/hop') res.writeHead(302, { location: '/cat.jpg' }).end();
      else if (req.url === '/to-metadata') res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
      else if (req.url === '/chunked') {
        // No Content-Length: the cap must hold while streaming.
        res.writeHead(200, { 'content-type': 'video/mp4' });
        for (let i = 0; i < 10; i++) res.write(Buffer.alloc(1024));
        res.end();
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const open = { requireHttps: false, allowPrivate: true };

  it('downloads an image with its content type', async () => {
    const media = await fetchMedia(`${base}/cat.jpg`, 'image', { policy: open, maxBytes: 10_000 });
    expect(media.mimeType).toBe('image/jpeg');
    expect(media.data.equals(image)).toBe(true);
  });

  it('follows a redirect, checking the new target', async () => {
    const media = await fetchMedia(`${base}/hop`, 'image', { policy: open, maxBytes: 10_000 });
    expect(media.data.length).toBe(image.length);
  });

  it('refuses a content type that does not match the media type', async () => {
    await expect(
      fetchMedia(`${base}/page`, 'image', { policy: open, maxBytes: 10_000 }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
      details: { contentType: 'text/html', type: 'image' },
    });
  });

  it('enforces the size cap by Content-Length and while streaming', async () => {
    await expect(
      fetchMedia(`${base}/cat.jpg`, 'image', { policy: open, maxBytes: 1000 }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
      details: { maxBytes: 1000 },
    });
    await expect(
      fetchMedia(`${base}/chunked`, 'video', { policy: open, maxBytes: 5000 }),
    ).rejects.toMatchObject({
      details: { maxBytes: 5000 },
    });
  });

  it('refuses a redirect to the metadata service under the production policy', async () => {
    // The guard's resolver calls `localhost` public, so the first hop reaches the local server;
    // the redirect's target is an address literal and is refused on its own.
    const policy = { requireHttps: false, allowPrivate: false };
    const lookup = async () => ['93.184.216.34'];
    const viaName = base.replace('127.0.0.1', 'localhost');
    await expect(
      fetchMedia(`${viaName}/to-metadata`, 'image', { policy, maxBytes: 10_000, lookup }),
    ).rejects.toMatchObject({ code: 'VALIDATION_ERROR', details: { host: '169.254.169.254' } });
    await expect(
      fetchMedia(`${viaName}/cat.jpg`, 'image', { policy, maxBytes: 10_000, lookup }),
    ).resolves.toBeDefined();
    await expect(
      fetchMedia('http://169.254.169.254/latest', 'image', { policy, maxBytes: 10_000 }),
    ).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
  });
});
