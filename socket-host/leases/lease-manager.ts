import { performance } from 'node:perf_hooks';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Logger } from 'pino';
import { leaseTable } from './lease-table.js';

/**
 * Shard leases in the manner of the Kinesis Client Library (architecture §5). A lease row is
 * `{ leaseKey: 'shard-N', owner, counter }`; the owner raises the counter on every renew. Other
 * hosts judge expiry on their own monotonic clock (the counter has not moved for a lease duration),
 * so hosts need no clock sync. Each scan a host takes expired leases first, then steals at most one
 * from the busiest owner until it holds its fair share.
 *
 * Renewals never wait on tenant work: what a lost shard's listener does runs beside the renew and
 * scan loops (tracked, awaited only by stop()), so one stuck shard cannot let the others expire.
 */

export { leaseKeyOf } from './lease-table.js';

export interface LeaseSettings {
  durationMs: number;
  renewIntervalMs: number;
  scanIntervalMs: number;
}

export interface LeaseListener {
  /**
   * The lease is ours: start the shard. `stolen` means its former owner is alive and will only
   * notice at its next renew, so the shard's sockets should wait that long before connecting.
   */
  acquired(shard: number, info: { stolen: boolean }): void | Promise<void>;
  /** Not renewed for half a lease: stop taking the shard's commands. */
  paused?(shard: number): void;
  /** Renewed again after a pause. */
  resumed?(shard: number): void;
  /**
   * Lost, or not renewed for three quarters of a lease: another host may run the shard now, so
   * close its sockets (no logout). Runs beside the renewals; the shard is not taken again until
   * this has settled.
   */
  lost(shard: number, reason: string): void | Promise<void>;
  /**
   * Graceful stop: wind the shard down (hand its commands back, close its sockets) while its
   * lease is still renewed; the lease is released once this settles.
   */
  handOver(shard: number): void | Promise<void>;
}

interface Held {
  counter: number;
  /** Monotonic time of the last successful renew. */
  renewedAt: number;
  paused: boolean;
  /** Being handed over by a graceful stop: still renewed, no longer ours to use. */
  releasing: boolean;
}

interface Observed {
  owner?: string;
  counter: number;
  /** Monotonic time at which this host first saw this counter value. */
  seenAt: number;
}

export interface LeaseManager {
  readonly owner: string;
  start(): Promise<void>;
  /**
   * Graceful (default): hands every shard over while still renewing, then gives the leases back
   * so another host can take them at once. `release: false` is a crash: the shards are dropped
   * and their leases left to expire.
   */
  stop(options?: { release?: boolean }): Promise<LeaseStopReport>;
  heldShards(): number[];
  /** Whether this host holds the shard's lease and has renewed it recently. */
  holds(shard: number): boolean;
  /**
   * Whether the shard's lease is safe to act on now: renewed less than half a lease ago on this
   * host's monotonic clock (the pause threshold), read at the call, not at the last renew round,
   * so a host frozen past its lease sees it at once when it resumes.
   */
  safeToAct(shard: number): boolean;
}

export interface LeaseStopReport {
  /** Leases given back (their rows have no owner now). */
  released: number[];
  /** Leases that were held at the stop but could not be given back: they expire instead. */
  notReleased: number[];
}

export function createLeaseManager(deps: {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  shardCount: number;
  owner: string;
  settings: LeaseSettings;
  listener: LeaseListener;
  log: Logger;
  clock?: () => number;
}): LeaseManager {
  const { dynamo, tableName: TableName, shardCount, owner, settings, listener, log } = deps;
  const clock = deps.clock ?? (() => performance.now());
  const held = new Map<number, Held>();
  const observed = new Map<number, Observed>();
  let timers: Array<{ name: string; timer: NodeJS.Timeout }> = [];
  let running = false;
  /** Set by a graceful stop: renewals go on, nothing new is taken. */
  let stopping = false;
  const inFlight = new Map<string, Promise<void>>();
  /** Listener work of shards being let go, by shard. */
  const losing = new Map<number, Promise<void>>();

  const { ensureRows, readAll, updateLease } = leaseTable({
    dynamo,
    tableName: TableName,
    shardCount,
    owner,
  });
  const shardOfKey = (key: string) => Number(key.slice('shard-'.length));

  /** Conditional take: succeeds only if nobody renewed or took it since we looked. */
  async function take(shard: number, seen: Observed, stolen = false): Promise<boolean> {
    const next = seen.counter + 1;
    const taken = await updateLease(
      shard,
      'SET #owner = :me, #counter = :next, takenAt = :at',
      '#counter = :seen',
      {
        ':next': next,
        ':seen': seen.counter,
        ':at': new Date().toISOString(),
      },
    );
    if (!taken) return false;
    held.set(shard, { counter: next, renewedAt: clock(), paused: false, releasing: false });
    observed.set(shard, { owner, counter: next, seenAt: clock() });
    log.info({ shard, previousOwner: seen.owner ?? null }, 'lease taken');
    try {
      await listener.acquired(shard, { stolen });
    } catch (error) {
      // Held with nothing running it would block the shard for good: give it back.
      log.error({ shard, err: error }, 'shard start failed; releasing its lease');
      held.delete(shard);
      await release(shard);
      return false;
    }
    return true;
  }

  /** Gives a lease row back (no owner); false if it was not ours any more or the write failed. */
  function release(shard: number): Promise<boolean> {
    return updateLease(shard, 'REMOVE #owner ADD #counter :one', '#owner = :me', { ':one': 1 }).catch(
      (error) => {
        log.warn({ shard, err: error }, 'lease release failed');
        return false;
      },
    );
  }

  /** Forgets the lease and starts the listener's work beside the loops; never waits for it. */
  function loseLease(shard: number, reason: string): void {
    const lease = held.get(shard);
    if (!lease) return;
    held.delete(shard);
    if (lease.releasing) {
      // Its hand-over is already winding the shard down.
      log.warn({ shard, reason }, 'lease lost while handing over');
      return;
    }
    log.warn({ shard, reason }, 'lease lost');
    const work = Promise.resolve()
      .then(() => listener.lost(shard, reason))
      .catch((error) => log.error({ shard, err: error }, 'letting go of a lost shard failed'))
      .finally(() => losing.delete(shard));
    losing.set(shard, work);
  }

  async function renewAll() {
    await Promise.all(
      [...held.entries()].map(async ([shard, lease]) => {
        const next = lease.counter + 1;
        try {
          const renewed = await updateLease(
            shard,
            'SET #counter = :next',
            '#owner = :me AND #counter = :mine',
            {
              ':next': next,
              ':mine': lease.counter,
            },
          );
          if (!renewed) {
            loseLease(shard, 'taken by another host');
            return;
          }
          lease.counter = next;
          lease.renewedAt = clock();
          if (lease.paused) {
            lease.paused = false;
            if (!lease.releasing) listener.resumed?.(shard);
          }
        } catch (error) {
          log.warn({ shard, err: error }, 'lease renew failed');
        }
      }),
    );
    selfFence();
  }

  /** A host that cannot renew must assume another took over: pause at 1/2, give up at 3/4 (architecture §5). */
  function selfFence() {
    const now = clock();
    for (const [shard, lease] of held) {
      const silentFor = now - lease.renewedAt;
      if (silentFor >= settings.durationMs * 0.75) {
        loseLease(shard, 'not renewed in time');
      } else if (silentFor >= settings.durationMs * 0.5 && !lease.paused) {
        lease.paused = true;
        log.warn({ shard, silentForMs: Math.round(silentFor) }, 'lease not renewed; pausing shard');
        if (!lease.releasing) listener.paused?.(shard);
      }
    }
  }

  async function scan() {
    if (stopping) return;
    const rows = await readAll();
    const now = clock();
    const expired: Array<[number, Observed]> = [];
    const counts = new Map<string, number>();
    for (const row of rows) {
      const shard = shardOfKey(row.leaseKey);
      const counter = row.counter ?? 0;
      const before = observed.get(shard);
      const current =
        before && before.counter === counter && before.owner === row.owner
          ? before
          : { owner: row.owner, counter, seenAt: now };
      observed.set(shard, current);
      if (held.has(shard) && row.owner !== owner) {
        loseLease(shard, 'taken by another host');
        continue;
      }
      // Still closing what it ran: taking it again now would race that.
      if (losing.has(shard)) continue;
      if (row.owner === owner) continue;
      const isExpired = !row.owner || now - current.seenAt >= settings.durationMs;
      if (isExpired) expired.push([shard, current]);
      else if (row.owner) counts.set(row.owner, (counts.get(row.owner) ?? 0) + 1);
    }
    const hosts = counts.size + 1;
    const target = Math.ceil(shardCount / hosts);
    // Expired leases first, as many as our fair share allows.
    for (const [shard, seen] of expired) {
      if (held.size >= target || stopping) break;
      await take(shard, seen);
    }
    if (held.size >= target || stopping) return;
    // Then at most one steal per round, from the busiest owner, only if it holds more than its share.
    const busiest = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
    if (!busiest || busiest[1] <= target || busiest[1] - held.size < 2) return;
    const victim = [...observed.entries()].find(([shard, o]) => o.owner === busiest[0] && !losing.has(shard));
    if (victim) await take(victim[0], victim[1], true);
  }

  /** Runs `run` every `ms`, never two at once; stop() waits for the one in flight. */
  const every = (ms: number, run: () => Promise<void>, name: string) => {
    const timer = setInterval(() => {
      if (inFlight.has(name) || !running) return;
      const work = run()
        .catch((error) => log.error({ err: error }, `lease ${name} failed`))
        .finally(() => inFlight.delete(name));
      inFlight.set(name, work);
    }, ms);
    timer.unref();
    timers.push({ name, timer });
  };

  /** Stops one loop and waits for its round in flight. */
  async function halt(name: string) {
    for (const entry of timers.filter((t) => t.name === name)) clearInterval(entry.timer);
    timers = timers.filter((t) => t.name !== name);
    await inFlight.get(name);
  }

  return {
    owner,
    async start() {
      running = true;
      await ensureRows();
      await scan();
      every(settings.renewIntervalMs, renewAll, 'renew');
      every(settings.scanIntervalMs, scan, 'scan');
    },
    async stop({ release: giveBack = true } = {}) {
      stopping = true;
      await halt('scan');
      const shards = [...held.keys()];
      if (!giveBack) {
        running = false;
        await halt('renew');
        for (const shard of shards) loseLease(shard, 'host stopped without releasing');
        await Promise.allSettled(losing.values());
        return { released: [], notReleased: shards };
      }
      // Renewals go on while the shards wind down, so no lease expires under open sockets.
      await Promise.allSettled(
        shards.map(async (shard) => {
          const lease = held.get(shard);
          if (!lease) return;
          lease.releasing = true;
          await Promise.resolve()
            .then(() => listener.handOver(shard))
            .catch((error) => log.error({ shard, err: error }, 'shard hand-over failed'));
        }),
      );
      running = false;
      await halt('renew');
      await Promise.allSettled(losing.values());
      const outcomes = await Promise.all(
        shards
          .sort((x, y) => x - y)
          .map(async (shard) => ({ shard, released: held.delete(shard) && (await release(shard)) })),
      );
      return {
        released: outcomes.filter((o) => o.released).map((o) => o.shard),
        notReleased: outcomes.filter((o) => !o.released).map((o) => o.shard),
      };
    },
    heldShards: () => [...held.keys()].sort((a, b) => a - b),
    holds: (shard) => {
      const lease = held.get(shard);
      return Boolean(lease && !lease.paused && !lease.releasing);
    },
    safeToAct: (shard) => {
      const lease = held.get(shard);
      return lease !== undefined && clock() - lease.renewedAt < settings.durationMs * 0.5;
    },
  };
}
