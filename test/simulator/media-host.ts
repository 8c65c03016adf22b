import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * WhatsApp's media host (mmg.whatsapp.net) in miniature: clients upload encrypted media with the
 * `auth` token from `media_conn` and get back a URL and direct path; anyone holding the path can
 * download the ciphertext. HTTPS, as the clients insist: its certificate (a fixture for 127.0.0.1)
 * is trusted only by processes that are told to, through `WA_SIMULATOR_MEDIA_CA`.
 */

const TLS_DIR = new URL('./tls/', import.meta.url);
/** PEM of the media host's self-signed certificate: the CA a client must trust. */
export const MEDIA_HOST_CA = readFileSync(new URL('media-host.crt', TLS_DIR), 'utf8');

export interface MediaHost {
  /** `127.0.0.1:PORT`: what `media_conn` advertises as the upload host. */
  hostname: string;
  /** The token uploads must carry (`media_conn`'s `auth`). */
  auth: string;
  /** Stores ciphertext as if uploaded; returns the direct path (for simulated phones). */
  put(ciphertext: Buffer): { url: string; directPath: string };
  /** The stored ciphertext of a direct path or URL. */
  get(pathOrUrl: string): Buffer | undefined;
  uploads(): number;
  /** Download requests answered so far, failed ones included. */
  downloads(): number;
  /** The next `count` downloads answer 503, as an overloaded media host does. */
  failNextDownloads(count: number): void;
  stop(): Promise<void>;
}

const UPLOAD_PATH = /^\/(mms|newsletter)\/[a-z-]+\/([A-Za-z0-9_-]+)$/;

export async function startMediaHost(host = '127.0.0.1'): Promise<MediaHost> {
  const auth = randomBytes(16).toString('base64url');
  const blobs = new Map<string, Buffer>();
  let uploaded = 0;
  let downloaded = 0;
  let failDownloads = 0;
  let hostname = '';

  const put = (ciphertext: Buffer) => {
    const id = randomBytes(12).toString('hex');
    blobs.set(id, ciphertext);
    const directPath = `/v/t62.7118-24/${id}.enc?ccb=11-4`;
    return { url: `https://${hostname}${directPath}`, directPath };
  };
  const blobId = (pathOrUrl: string) => /\/v\/t62\.7118-24\/([0-9a-f]+)\.enc/.exec(pathOrUrl)?.[1];

  const server: Server = createServer(
    { key: readFileSync(new URL('media-host.key', TLS_DIR)), cert: MEDIA_HOST_CA },
    async (req, res) => {
      const url = new URL(req.url ?? '/', `https://${hostname}`);
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (req.method === 'POST') {
        const match = UPLOAD_PATH.exec(url.pathname);
        if (!match) return reply(404, { error: 'unknown upload path' });
        if (url.searchParams.get('auth') !== auth) return reply(401, { error: 'bad auth' });
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const body = Buffer.concat(chunks);
        // The path names the ciphertext's SHA-256 (base64url): WhatsApp refuses a body that differs.
        if (createHash('sha256').update(body).digest('base64url') !== match[2]) {
          return reply(400, { error: 'hash mismatch' });
        }
        uploaded += 1;
        const { url: mediaUrl, directPath } = put(body);
        return reply(200, { url: mediaUrl, direct_path: directPath });
      }
      if (req.method === 'GET') {
        downloaded += 1;
        if (failDownloads > 0) {
          failDownloads -= 1;
          return reply(503, { error: 'try again' });
        }
        const id = blobId(url.pathname);
        const blob = id ? blobs.get(id) : undefined;
        if (!blob) return reply(404, { error: 'not found' });
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': blob.length });
        return res.end(blob);
      }
      return reply(405, { error: 'method not allowed' });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  hostname = `${host}:${(server.address() as AddressInfo).port}`;

  return {
    hostname,
    auth,
    put,
    get: (pathOrUrl) => {
      const id = blobId(pathOrUrl);
      return id ? blobs.get(id) : undefined;
    },
    uploads: () => uploaded,
    downloads: () => downloaded,
    failNextDownloads: (count) => {
      failDownloads = count;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
