import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AwsClients, createAwsClients } from '../shared/aws/clients.js';
import { createCommandQueue } from '../shared/aws/command-queue.js';
import { createEventPublisher } from '../shared/aws/event-publisher.js';
import type { Config } from '../shared/config.js';
import type { SessionState } from '../shared/domain.js';
import { SessionError } from '../shared/errors.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { createMetrics } from '../shared/metrics.js';
import type { TargetPolicy } from '../shared/net/target-guard.js';
import { commandQueue } from '../shared/resources.js';
import { shardOf } from '../shared/shard.js';
import { createMessageStore } from '../shared/stores/messages.js';
import { createSessionStore } from '../shared/stores/sessions.js';
import { tableName } from '../shared/stores/table-names.js';
import { createAuthStateRepository } from './auth-state/dynamo-auth-state.js';
import { acquireFence, type Fence, FenceLostError } from './auth-state/fence.js';
import { createSnapshotStore } from './auth-state/snapshots.js';
import { createCommandHandler, type SessionRegistry } from './commands/handlers.js';
import {
  type ConsumerStopReport,
  type ShardConsumer,
  startShardConsumer,
} from './commands/shard-consumer.js';
import { createLeaseManager, leaseKeyOf } from './leases/lease-manager.js';
import { discoverEgressIp } from './process/egress-ip.js';
import { startHealthServer } from './process/health-server.js';
import { routeLibsignalConsole } from './process/quiet-libsignal.js';
import { LIVE_STATES, TenantSession } from './session/tenant-session.js';
import { whatsappEndpoint } from './whatsapp/socket-options.js';

/**
 * The socket host: holds shard leases, runs the Baileys sessions of the tenants in its shards, and
 * consumes those shards' command queues (architecture §5–7). `npm start` runs one owning every shard;
 * in AWS each Fargate task runs one and the leases spread the shards between them.
 */

export interface SocketHostOptions {
  config: Config;
  log?: Logger;
  clients?: AwsClients;
  hostId?: string;
  /** Port of the health endpoint; 0 picks a free one, `null` runs none. Default: configuration. */
  healthPort?: number | null;
  /** Long-poll wait of the command queues (seconds). */
  commandWaitSeconds?: number;
}

export interface SocketHost {
  hostId: string;
  healthUrl?: string;
  heldShards(): number[];
  sessions(): TenantSession[];
  /**
   * Graceful: hand back the commands taken, close sockets without logout, release the leases.
   * `release: false` is a crash: nothing is handed back or released.
   */
  stop(options?: { release?: boolean }): Promise<void>;
  /** What the stop did, once it has finished. */
  stopReport(): HostStopReport | undefined;
}

/** What a stop did, as it logs it. */
export interface HostStopReport {
  released: number[];
  notReleased: number[];
  /** Commands made visible again for the next owner (received, or still running at the deadline). */
  commandsHandedBack: number;
  /** Of those, commands whose handler was still running when they were handed back. */
  commandsStillRunning: number;
  /** Shards whose open receive had to be cut off; what it took reappears after the visibility. */
  receivesCutOff: number[];
  sessionsClosed: number;
}

/** Reconnect a taken shard's tenants a few at a time, so a takeover is not a login storm. */
const RESUME_CONCURRENCY = 10;
/** Pairing-code requests leave one host at most this often. */
const PAIRING_CODE_GAP_MS = 1_000;

export async function startSocketHost(options: SocketHostOptions): Promise<SocketHost> {
  const { config } = options;
  const hostId = options.hostId ?? config.host.id ?? `${hostname()}-${randomUUID().slice(0, 8)}`;
  const log = (options.log ?? createLogger({ service: 'socket-host', level: config.logLevel })).child({
    hostId,
  });
  routeLibsignalConsole(log);
  const clients = options.clients ?? createAwsClients(config);
  const storeDeps = { dynamo: clients.dynamo, config };
  const sessionStore = createSessionStore(storeDeps);
  const messages = createMessageStore({ ...storeDeps, retentionDays: config.messageRetentionDays });
  const events = createEventPublisher({ dynamo: clients.dynamo, sqs: clients.sqs, config });
  const commands = createCommandQueue({ sqs: clients.sqs, config });
  const egressIp = await discoverEgressIp(config.host.egressIpUrl);
  const metrics = createMetrics({
    service: 'socket-host',
    host: hostId,
    dimensions: egressIp ? { EgressIp: egressIp } : undefined,
    write: config.env === 'production' ? undefined : () => {},
  });
  const authState = createAuthStateRepository({
    dynamo: clients.dynamo,
    s3: clients.s3,
    tableName: tableName(config, 'authState'),
    bucketName: config.bucketName,
    onFenceLost: (fence) => onFenceLost(fence),
  });
  const snapshots = createSnapshotStore({ s3: clients.s3, bucketName: config.bucketName, authState });
  const fenceTables = { authState: tableName(config, 'authState'), leases: tableName(config, 'leases') };
  const endpoint = whatsappEndpoint(config);
  // A received command stays hidden about as long as a lease: a crashed host's commands reappear
  // about when its shards are taken over. A stop waits half a lease for running commands.
  const visibilitySeconds = Math.max(1, Math.ceil(config.host.leaseDurationMs / 1000));
  const handOverMs = config.host.leaseDurationMs / 2;
  const waitTimeSeconds =
    options.commandWaitSeconds ?? Math.min(20, Math.max(1, Math.floor(handOverMs / 1000)));
  // Production fetches media only from public https URLs; the same switch as webhooks opens loopback locally.
  const mediaPolicy: TargetPolicy = {
    requireHttps: config.env === 'production',
    allowPrivate: config.webhooks.allowPrivateTargets,
  };

  // WhatsApp refuses pairing-code requests (`rate-overlimit`) from an address that asks too often.
  let pairingSlot = Promise.resolve();
  const pacePairingCode = () => {
    const mine = pairingSlot;
    pairingSlot = mine.then(() => sleep(PAIRING_CODE_GAP_MS));
    return mine;
  };

  const sessions = new Map<string, TenantSession>();
  const consumers = new Map<number, ShardConsumer>();
  const resuming = new Map<number, Promise<void>>();
  /** Sessions closing outside a shard's hand-over (fence lost); a stop waits for them. */
  const closing = new Set<Promise<void>>();
  const stopReports: Array<ConsumerStopReport & { shard: number; sessionsClosed: number }> = [];
  let leases: ReturnType<typeof createLeaseManager> | undefined;
  let stopping = false;
  let stopped: Promise<HostStopReport> | undefined;
  let finalReport: HostStopReport | undefined;

  /** Another owner raised the tenant's fence: its session here ends at once, without writing. */
  function onFenceLost(fence: Fence) {
    const session = sessions.get(fence.tenantId);
    if (!session || session.epoch !== fence.generation) return;
    sessions.delete(fence.tenantId);
    log.warn({ tenantId: fence.tenantId, epoch: fence.generation }, 'auth-state fence lost: closing session');
    const work = session
      .closeQuietly('auth-state fence lost')
      .catch((error) => log.error({ tenantId: fence.tenantId, err: error }, 'closing session failed'))
      .finally(() => closing.delete(work));
    closing.add(work);
  }

  /** A new fence only while this host holds the shard; otherwise the command belongs elsewhere. */
  async function fenceFor(tenantId: string): Promise<Fence> {
    const shard = shardOf(tenantId, config.shardCount);
    const moved = () => new SessionError({ message: 'Session moved to another socket host', retryAfter: 2 });
    if (!leases?.holds(shard)) throw moved();
    try {
      return await acquireFence(clients.dynamo, fenceTables, {
        tenantId,
        owner: hostId,
        leaseKey: leaseKeyOf(shard),
      });
    } catch (error) {
      if (error instanceof FenceLostError) throw moved();
      throw error;
    }
  }

  const registry: SessionRegistry = {
    existing: (tenantId) => sessions.get(tenantId),
    session(tenantId) {
      let session = sessions.get(tenantId);
      if (!session) {
        session = new TenantSession(
          {
            config,
            log,
            sessions: sessionStore,
            messages,
            events,
            authState,
            snapshots,
            s3: clients.s3,
            metrics,
            mediaPolicy,
            endpoint,
            pacePairingCode,
            acquireFence: fenceFor,
            leaseValid: () => leases?.safeToAct(shardOf(tenantId, config.shardCount)) ?? false,
          },
          tenantId,
        );
        sessions.set(tenantId, session);
      }
      return session;
    },
  };

  const handle = createCommandHandler({
    registry,
    messages,
    events,
    sessions: sessionStore,
    maxReceiveCount: commandQueue(0).maxReceiveCount,
    metrics,
    log,
  });

  /**
   * Winds one shard down without logout. `lost`: another host may own it already, so its sockets
   * close first and running commands fail fast; a hand-over lets running commands finish first
   * (for half a lease), then closes the sockets, while the lease is still renewed.
   */
  async function letGo(shard: number, reason: string, how: 'lost' | 'handOver') {
    const consumer = consumers.get(shard);
    consumers.delete(shard);
    // Stops taking commands and hands back the waiting ones now; running ones get half a lease.
    const stopped = consumer?.stop(handOverMs);
    await withDeadline(resuming.get(shard), handOverMs);
    const closeShardSessions = async () => {
      const closes: Promise<void>[] = [];
      for (const [tenantId, session] of sessions) {
        if (shardOf(tenantId, config.shardCount) !== shard) continue;
        closes.push(session.closeQuietly(`shard lease: ${reason}`));
        sessions.delete(tenantId);
      }
      await Promise.all(closes);
      return closes.length;
    };
    let sessionsClosed = 0;
    if (how === 'lost') sessionsClosed = await closeShardSessions();
    const report = (await stopped) ?? { handedBack: 0, stillRunning: 0, receiveCutOff: false };
    if (how === 'handOver') sessionsClosed = await closeShardSessions();
    stopReports.push({ shard, sessionsClosed, ...report });
    log.info({ shard, reason, sessionsClosed, ...report }, 'shard let go');
  }

  async function resumeShard(shard: number) {
    const rows = (await sessionStore.listByShard(shard)).filter(
      (row) => row.desired === 'running' && LIVE_STATES.has(row.status),
    );
    log.info({ shard, sessions: rows.length }, 'resuming shard sessions');
    let next = 0;
    const worker = async () => {
      while (next < rows.length && leases?.holds(shard) && !stopping) {
        const row = rows[next++];
        if (!row) break;
        await sleep(Math.random() * 200);
        await registry
          .session(row.tenantId)
          .start({ method: row.method ?? 'qr', phoneNumber: row.phoneNumber })
          .catch((error) => log.error({ tenantId: row.tenantId, err: error }, 'session resume failed'));
      }
    };
    await Promise.all(Array.from({ length: RESUME_CONCURRENCY }, worker));
  }

  leases = createLeaseManager({
    dynamo: clients.dynamo,
    tableName: tableName(config, 'leases'),
    shardCount: config.shardCount,
    owner: hostId,
    log,
    settings: {
      durationMs: config.host.leaseDurationMs,
      renewIntervalMs: config.host.renewIntervalMs,
      scanIntervalMs: config.host.scanIntervalMs,
    },
    listener: {
      async acquired(shard, { stolen }) {
        // A former owner that is alive notices at its next renew; connecting earlier would make
        // WhatsApp replace one connection with the other (440).
        if (stolen) await sleep(config.host.renewIntervalMs * 1.5);
        const consumer = startShardConsumer({
          sqs: clients.sqs,
          queueUrl: await commands.queueUrl(shard),
          shard,
          handle,
          log,
          visibilitySeconds,
          waitTimeSeconds,
        });
        // Lost again during the waits above: its let-go found no consumer to stop, so stop this one.
        if (!leases?.heldShards().includes(shard)) {
          await consumer.stop(0);
          return;
        }
        consumers.set(shard, consumer);
        const resume = resumeShard(shard)
          .catch((error) => log.error({ shard, err: error }, 'shard resume failed'))
          .finally(() => resuming.delete(shard));
        resuming.set(shard, resume);
      },
      paused: (shard) => consumers.get(shard)?.pause(),
      resumed: (shard) => consumers.get(shard)?.resume(),
      lost: (shard, reason) => letGo(shard, reason, 'lost'),
      handOver: (shard) => letGo(shard, 'host stopping', 'handOver'),
    },
  });

  const countByStatus = () => {
    const counts: Partial<Record<SessionState, number>> = {};
    for (const session of sessions.values()) counts[session.status] = (counts[session.status] ?? 0) + 1;
    return counts;
  };
  const gaugeTimer = setInterval(
    () => metrics.gauge('SessionsConnected', countByStatus().connected ?? 0),
    10_000,
  );
  gaugeTimer.unref();

  const healthPort = options.healthPort === undefined ? config.host.healthPort : options.healthPort;
  const health =
    healthPort === null
      ? undefined
      : await startHealthServer(healthPort, () => ({
          healthy: !stopping,
          body: {
            status: stopping ? 'stopping' : 'ok',
            hostId,
            egressIp: egressIp ?? null,
            shards: leases?.heldShards() ?? [],
            sessions: countByStatus(),
          },
        }));

  await leases.start();
  log.info({ shards: leases.heldShards(), healthUrl: health?.url, egressIp }, 'socket host started');

  return {
    hostId,
    healthUrl: health?.url,
    heldShards: () => leases?.heldShards() ?? [],
    sessions: () => [...sessions.values()],
    async stop(stopOptions) {
      stopped ??= stopHost(stopOptions?.release ?? true);
      finalReport = await stopped;
    },
    stopReport: () => finalReport,
  };

  async function stopHost(release: boolean): Promise<HostStopReport> {
    stopping = true;
    clearInterval(gaugeTimer);
    stopReports.length = 0;
    // A crash takes nothing back: what the consumers held reappears after the visibility timeout.
    if (!release) for (const consumer of consumers.values()) consumer.abandon();
    // Each shard is handed over (commands back, sockets closed) while its lease is still renewed.
    const leaseReport = (await leases?.stop({ release })) ?? { released: [], notReleased: [] };
    await Promise.all(closing);
    metrics.stop();
    await health?.close();
    const report: HostStopReport = {
      ...leaseReport,
      commandsHandedBack: sum(stopReports.map((r) => r.handedBack)),
      commandsStillRunning: sum(stopReports.map((r) => r.stillRunning)),
      receivesCutOff: stopReports.filter((r) => r.receiveCutOff).map((r) => r.shard),
      sessionsClosed: sum(stopReports.map((r) => r.sessionsClosed)),
    };
    if (release) log.info(report, 'socket host stopped');
    else log.warn(report, 'socket host stopped without releasing its leases or commands');
    return report;
  }
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** Waits for `work`, but no longer than `ms`. */
async function withDeadline(work: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (!work) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
