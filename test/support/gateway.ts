import { type AwsClients, createAwsClients } from '../../shared/aws/clients.js';
import type { Config } from '../../shared/config.js';
import type { EventData, EventType } from '../../shared/events.js';
import { createWebhookEventStore } from '../../shared/stores/webhook-events.js';
import { type SocketHost, startSocketHost } from '../../socket-host/host.js';
import { type Phone, type Simulator, startSimulator } from '../simulator/index.js';
import { type ApiClient, startTestApi, type TestApi } from './api-client.js';
import { eventually, testConfig } from './env.js';
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
  /** `clients` lets a test inject faults into the host's AWS calls. */
  startHost(hostId?: string, options?: { clients?: AwsClients }): Promise<SocketHost>;
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
    WA_SIMULATOR_MEDIA_CA: sim.mediaCa,
    SEND_MIN_INTERVAL_MS: '0',
    RATE_LIMIT_MAX_REQUESTS: '100000',
    // Short enough for takeover tests, long enough for a busy 2-core CI machine to renew in time.
    LEASE_DURATION_MS: '4000',
    LEASE_RENEW_INTERVAL_MS: '500',
    LEASE_SCAN_INTERVAL_MS: '300',
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
    async startHost(hostId = `${label}-host-${++serial}`, options = {}) {
      const host = await startSocketHost({
        config,
        hostId,
        healthPort: 0,
        commandWaitSeconds: 1,
        ...options,
      });
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

/** Starts the tenant's session by QR through the API, has `phone` scan it, and waits for `connected`. */
export async function linkByQr(client: ApiClient, tenantId: string, phone: Phone): Promise<void> {
  const init = await client.post(`/sessions/${tenantId}/initialize`, { method: 'qr' });
  if (init.status !== 202) throw new Error(`initialize answered ${init.status}`);
  const qr = await eventually(async () => {
    const res = await client.get(`/sessions/${tenantId}/qr`);
    return res.status === 200 ? (res.body.data.qr as string) : undefined;
  });
  await phone.scanQr(qr);
  await waitForStatus(client, tenantId, 'connected');
}

/** Polls GET /sessions/{id}/status until the status is `status`; returns the session view. */
export function waitForStatus(client: ApiClient, tenantId: string, status: string, timeoutMs = 30_000) {
  return eventually(
    async () => {
      const res = await client.get(`/sessions/${tenantId}/status`);
      return res.body.data?.status === status ? res.body.data : undefined;
    },
    { timeoutMs, message: `session ${tenantId} ${status}` },
  );
}

/** A tenant's recorded events of one type, oldest first (the webhook-events table keeps every event). */
export async function recordedEvents<T extends EventType>(
  gw: TestGateway,
  tenantId: string,
  type: T,
): Promise<EventData<T>[]> {
  const { dynamo } = createAwsClients(gw.config);
  const store = createWebhookEventStore({ dynamo, config: gw.config });
  const rows = [];
  let cursor: string | undefined;
  try {
    do {
      const page = await store.list(tenantId, { eventType: type, limit: 100, cursor });
      rows.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
  } finally {
    dynamo.destroy();
  }
  return rows
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    .map((row) => row.event.data as EventData<T>);
}
