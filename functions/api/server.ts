import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Config } from '../../shared/config.js';
import type { Logger } from '../../shared/logger.js';
import { createApp } from './app.js';
import { type ApiDeps, buildApiDeps } from './deps.js';

export interface ApiServer {
  port: number;
  url: string;
  deps: ApiDeps;
  close(): Promise<void>;
}

/** Serves the API app on loopback-or-any with @hono/node-server (local mode, tests, benchmarks). */
export async function startApiServer(options: {
  config: Config;
  log: Logger;
  deps?: ApiDeps;
  hostname?: string;
}): Promise<ApiServer> {
  const deps = options.deps ?? (await buildApiDeps(options.config, options.log));
  const app = createApp(deps);
  const hostname = options.hostname ?? '127.0.0.1';
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.config.port, hostname }, () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://${hostname}:${port}`,
    deps,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
