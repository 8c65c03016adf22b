import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AwsClients, createAwsClients } from '../shared/aws/clients.js';
import { createCommandQueue } from '../shared/aws/command-queue.js';
import { createEventPublisher } from '../shared/aws/event-publisher.js';
import type { Config } from '../shared/config.js';
import type { SessionState } from '../shared/domain.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { createMetrics } from '../shared/metrics.js';
import type { TargetPolicy } from '../shared/net/target-guard.js';
import { commandQueue } from '../shared/resources.js';
import { shardOf } from '../shared/shard.js';
import { createMessageStore } from '../shared/stores/messages.js';
import { createSessionStore } from '../shared/stores/sessions.js';
import { tableName } from '../shared/stores/table-names.js';
import { createAuthStateRepository } from './auth-state/dynamo-auth-state.js';
import { acquireFence } from './auth-state/fence.js';
import { createSnapshotStore } from './auth-state/snapshots.js';
import { createCommandHandler, type SessionRegistry } from './commands/handlers.js';
import { type ShardConsumer, startShardConsumer } from './commands/shard-consumer.js';
import { createLeaseManager, leaseKeyOf } from './leases/lease-manager.js';
import { discoverEgressIp } from './process/egress-ip.js';
import { startHealthServer } from './process/health-server.js';
import { routeLibsignalConsole } from './process/quiet-libsignal.js';
import { LIVE_STATES, TenantSession } from './session/tenant-session.js';
import { whatsappEndpoint } from './whatsapp/socket-options.js';

/**
 * The socket host: holds shard leases, runs the Baileys sessions of the tenants in its shards, and
 * consumes those shards' command queues (DESIGN §5–7). `npm start` runs one owning every shard;
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
  /** Graceful: stop taking commands, close sockets without logout, release leases. `release: false` is a crash. */
  stop(options?: { release?: boolean }): Promise<void>;
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
  });
  const snapshots = createSnapshotStore({ s3: clients.s3, bucketName: config.bucketName, authState });
  const fenceTables = { authState: tableName(config, 'authState'), leases: tableName(config, 'leases') };
  const endpoint = whatsappEndpoint(config);
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
  const draining = new Set<Promise<void>>();
  let leases: ReturnType<typeof createLeaseManager> | undefined;
  let stopping = false;

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
            acquireFence: (id) =>
              acquireFence(clients.dynamo, fenceTables, {
                tenantId: id,
                owner: hostId,
                leaseKey: leaseKeyOf(shardOf(id, config.shardCount)),
              }),
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
          waitTimeSeconds: options.commandWaitSeconds,
        });
        consumers.set(shard, consumer);
        void resumeShard(shard).catch((error) => log.error({ shard, err: error }, 'shard resume failed'));
      },
      paused: (shard) => consumers.get(shard)?.pause(),
      resumed: (shard) => consumers.get(shard)?.resume(),
      async lost(shard, reason) {
        const consumer = consumers.get(shard);
        consumers.delete(shard);
        // Stop taking commands first, then close the sockets (no logout: the next owner reconnects).
        if (consumer) draining.add(consumer.drained);
        await consumer?.stop();
        const closing: Promise<void>[] = [];
        for (const [tenantId, session] of sessions) {
          if (shardOf(tenantId, config.shardCount) !== shard) continue;
          closing.push(session.closeQuietly(`shard lease: ${reason}`));
          sessions.delete(tenantId);
        }
        await Promise.all(closing);
      },
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
    async stop({ release = true } = {}) {
      if (stopping) return;
      stopping = true;
      clearInterval(gaugeTimer);
      // Losing every lease stops each shard's consumer and closes its sockets without logout.
      await leases?.stop({ release });
      // A clean stop lets the last long polls return, so no command is left hidden in flight.
      if (release) await Promise.all(draining);
      metrics.stop();
      await health?.close();
      log.info({ released: release }, 'socket host stopped');
    },
  };
}
