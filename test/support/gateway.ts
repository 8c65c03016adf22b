import type { Config } from '../../shared/config.js';
import { type SocketHost, startSocketHost } from '../../socket-host/host.js';
import { type Simulator, startSimulator } from '../simulator/index.js';
import { startTestApi, type TestApi } from './api-client.js';
import { testConfig } from './env.js';
import { isolatedResources } from './resources.js';

/**
 * The whole gateway in one test process: the real API on a random port, socket hosts on real
 * Baileys, DynamoDB Local and fauxqs under a prefix of its own, and the WhatsApp simulator.
 * Lease and reconnect timings are shortened so takeovers and backoff run in seconds.
 */
export interface TestGateway {
  sim: Simulator;
  api: TestApi;
  config: Config;
  overrides: Record<string, string>;
  hosts: SocketHost[];
  startHost(hostId?: string): Promise<SocketHost>;
  close(): Promise<void>;
}

export async function startTestGateway(
  label: string,
  overrides: Record<string, string> = {},
): Promise<TestGateway> {
  const sim = await startSimulator({ seed: label });
  const env = {
    ...(await isolatedResources(label)),
    WA_WEB_SOCKET_URL: sim.url,
    WA_SIMULATOR_ROOT_KEY: sim.rootPublicKey.toString('base64'),
    SEND_MIN_INTERVAL_MS: '0',
    RATE_LIMIT_MAX_REQUESTS: '100000',
    LEASE_DURATION_MS: '2000',
    LEASE_RENEW_INTERVAL_MS: '300',
    LEASE_SCAN_INTERVAL_MS: '250',
    RECONNECT_DELAY: '50',
    RECONNECT_MAX_DELAY: '400',
    MAX_RECONNECT_ATTEMPTS: '3',
    ...overrides,
  };
  const api = await startTestApi(env);
  const config = testConfig(env);
  const hosts: SocketHost[] = [];
  let serial = 0;
  return {
    sim,
    api,
    config,
    overrides: env,
    hosts,
    async startHost(hostId = `${label}-host-${++serial}`) {
      const host = await startSocketHost({ config, hostId, healthPort: 0, commandWaitSeconds: 1 });
      hosts.push(host);
      return host;
    },
    async close() {
      await Promise.all(hosts.map((h) => h.stop()));
      await api.close();
      await sim.stop();
    },
  };
}
