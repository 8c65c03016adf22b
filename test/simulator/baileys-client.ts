import { EventEmitter } from 'node:events';
import { Agent as HttpsAgent } from 'node:https';
import makeWASocket, {
  type AuthenticationCreds,
  type AuthenticationState,
  type BaileysEventMap,
  type ConnectionState,
  initAuthCreds,
  type SignalDataSet,
  type SignalDataTypeMap,
  type UserFacingSocketConfig,
  type WAMessage,
  type WAMessageUpdate,
} from '@whiskeysockets/baileys';
import { pino } from 'pino';
import { trustSimulatorRoot } from '../../socket-host/whatsapp/trust-simulator.js';
import type { LinkedDeviceCreds } from './linked-device.js';
import type { Phone } from './phone.js';
import type { Simulator } from './server.js';
import { waitUntil } from './wait.js';

/**
 * Builds a real Baileys socket against the simulator, with in-memory auth state. The socket options
 * are the ones the gateway's socket host uses in demo mode (`simulatorSocketOptions`).
 */

export type WASocket = ReturnType<typeof makeWASocket>;

/** Auth state kept in memory; reuse the same object across reconnects, as a store would. */
export interface MemoryAuth {
  state: AuthenticationState;
  /** Number of entries per key type, for assertions about what Baileys stored. */
  count(type: keyof SignalDataTypeMap): number;
}

export function createMemoryAuth(initial?: {
  creds?: AuthenticationCreds;
  keys?: SignalDataSet;
}): MemoryAuth {
  const data = new Map<string, Map<string, unknown>>();
  const bucket = (type: string) => {
    let map = data.get(type);
    if (!map) {
      map = new Map();
      data.set(type, map);
    }
    return map;
  };
  const set = (entries: SignalDataSet) => {
    for (const [type, values] of Object.entries(entries)) {
      for (const [id, value] of Object.entries(values ?? {})) {
        if (value === null || value === undefined) bucket(type).delete(id);
        else bucket(type).set(id, value);
      }
    }
  };
  if (initial?.keys) set(initial.keys);
  return {
    state: {
      creds: initial?.creds ?? initAuthCreds(),
      keys: {
        get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
          const out: { [id: string]: SignalDataTypeMap[T] } = {};
          const map = bucket(type);
          for (const id of ids) {
            const value = map.get(id);
            if (value !== undefined) out[id] = value as SignalDataTypeMap[T];
          }
          return out;
        },
        set: async (entries: SignalDataSet) => set(entries),
      },
    },
    count: (type) => bucket(type).size,
  };
}

const silentLogger = pino({ level: 'silent' });

/** The options that point Baileys at a simulator and keep start-up minimal. */
export function simulatorSocketOptions(simulatorUrl: string): Partial<UserFacingSocketConfig> {
  return {
    waWebSocketUrl: simulatorUrl,
    logger: silentLogger,
    markOnlineOnConnect: false,
    syncFullHistory: false,
    shouldSyncHistoryMessage: () => false,
    fireInitQueries: true,
  };
}

export interface BaileysClient {
  sock: WASocket;
  auth: MemoryAuth;
  /** Every `connection.update` so far, in order. */
  updates: Partial<ConnectionState>[];
  upserts: WAMessage[];
  messageUpdates: WAMessageUpdate[];
  nextQr(timeoutMs?: number): Promise<string>;
  waitForOpen(timeoutMs?: number): Promise<void>;
  /** Resolves with the close's status code (Baileys' DisconnectReason). */
  waitForClose(timeoutMs?: number): Promise<number | undefined>;
  waitForUpsert(predicate: (m: WAMessage) => boolean, timeoutMs?: number): Promise<WAMessage>;
  waitForMessageUpdate(
    predicate: (u: WAMessageUpdate) => boolean,
    timeoutMs?: number,
  ): Promise<WAMessageUpdate>;
  end(): Promise<void>;
}

export interface ConnectBaileysOptions {
  /** Auth to log in with: a previous client's `auth`, or `sim.createLinkedDevice()`; new creds otherwise. */
  auth?: MemoryAuth | LinkedDeviceCreds;
  config?: Partial<UserFacingSocketConfig>;
}

export function connectBaileys(sim: Simulator, options: ConnectBaileysOptions = {}): BaileysClient {
  trustSimulatorRoot({ simulatorUrl: sim.url, rootPublicKey: sim.rootPublicKey });
  const auth =
    options.auth === undefined
      ? createMemoryAuth()
      : 'state' in options.auth
        ? options.auth
        : createMemoryAuth({ creds: options.auth.creds, keys: options.auth.keys });
  const sock = makeWASocket({
    ...simulatorSocketOptions(sim.url),
    // Media uploads go over HTTPS to the simulator's media host.
    fetchAgent: new HttpsAgent({ ca: sim.mediaCa }),
    ...options.config,
    auth: auth.state,
  });
  const changed = new EventEmitter();
  const updates: Partial<ConnectionState>[] = [];
  const upserts: WAMessage[] = [];
  const messageUpdates: WAMessageUpdate[] = [];
  let closeCode: number | undefined;
  let closed = false;
  sock.ev.on('connection.update', (update: BaileysEventMap['connection.update']) => {
    updates.push(update);
    if (update.connection === 'close') {
      closed = true;
      const error = update.lastDisconnect?.error as { output?: { statusCode?: number } } | undefined;
      closeCode = error?.output?.statusCode;
    }
    changed.emit('change');
  });
  sock.ev.on('messages.upsert', ({ messages }) => {
    upserts.push(...messages);
    changed.emit('change');
  });
  sock.ev.on('messages.update', (list) => {
    messageUpdates.push(...list);
    changed.emit('change');
  });
  let qrSeen = 0;
  return {
    sock,
    auth,
    updates,
    upserts,
    messageUpdates,
    nextQr: (timeoutMs = 5_000) =>
      waitUntil(
        () => {
          const qrs = updates.map((u) => u.qr).filter((qr): qr is string => typeof qr === 'string');
          const qr = qrs[qrSeen];
          if (qr) qrSeen++;
          return qr;
        },
        timeoutMs,
        'QR',
        changed,
        'change',
      ),
    waitForOpen: async (timeoutMs = 10_000) => {
      await waitUntil(
        () => {
          if (closed) throw new Error(`socket closed with ${closeCode} before open`);
          return updates.some((u) => u.connection === 'open');
        },
        timeoutMs,
        'connection open',
        changed,
        'change',
      );
    },
    waitForClose: async (timeoutMs = 10_000) => {
      await waitUntil(() => closed, timeoutMs, 'connection close', changed, 'change');
      return closeCode;
    },
    waitForUpsert: (predicate, timeoutMs = 5_000) =>
      waitUntil(() => upserts.find(predicate), timeoutMs, 'messages.upsert', changed, 'change'),
    waitForMessageUpdate: (predicate, timeoutMs = 5_000) =>
      waitUntil(() => messageUpdates.find(predicate), timeoutMs, 'messages.update', changed, 'change'),
    end: async () => {
      if (!closed) {
        const done = waitUntil(() => closed, 5_000, 'socket end', changed, 'change');
        sock.end(undefined);
        await done;
      }
    },
  };
}

/**
 * A client QR-linked by `phone` and logged in again after the 515 restart, so that it uploaded its
 * own pre-keys, as a real companion does.
 */
export async function connectQrLinked(sim: Simulator, phone: Phone): Promise<BaileysClient> {
  const linking = connectBaileys(sim);
  await phone.scanQr(await linking.nextQr());
  await linking.waitForClose();
  const client = connectBaileys(sim, { auth: linking.auth });
  await client.waitForOpen();
  return client;
}
