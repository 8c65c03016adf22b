import type { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { createServerIdentity } from './certificates.js';
import { SimConnection } from './connection.js';
import { applyStreamError, type FaultCode, type StreamErrorOptions } from './faults.js';
import { Hub, type HubEvents } from './hub.js';
import { createIdSource } from './ids.js';
import { type LinkedDeviceCreds, type LinkedDeviceOptions, makeLinkedDevice } from './linked-device.js';
import { MEDIA_HOST_CA, type MediaHost, startMediaHost } from './media-host.js';
import type { LinkedDevice } from './model.js';
import type { Phone, PhoneOptions } from './phone.js';
import { waitUntil } from './wait.js';

export interface SimulatorOptions {
  /** Seed for phone numbers, LIDs and message ids (default 'wafleet'). */
  seed?: string;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
}

export interface ConnectionInfo {
  id: number;
  state: SimConnection['state'];
  deviceJid: string | undefined;
  phoneNumber: string | undefined;
  silent: boolean;
  openedAt: number;
}

/** A device jid (`NUMBER:DEV@s.whatsapp.net` or `LID:DEV@lid`), a phone number, or a connection id. */
export type ConnectionTarget = string | number;

export interface Simulator {
  /** `ws://127.0.0.1:PORT/ws/chat`, for Baileys' `waWebSocketUrl`. */
  url: string;
  /** Pass to `trustSimulatorRoot` in the process that runs Baileys. */
  rootPublicKey: Buffer;
  /** PEM the process running Baileys must trust for the media host (`WA_SIMULATOR_MEDIA_CA`). */
  mediaCa: string;
  /** The HTTPS host media is uploaded to and downloaded from. */
  media: MediaHost;
  events: EventEmitter<HubEvents>;
  createPhone(options?: PhoneOptions): Phone;
  /** Linked-device credentials without a QR round trip: log in with them straight away. */
  createLinkedDevice(options?: LinkedDeviceOptions): LinkedDeviceCreds;
  phone(number: string): Phone | undefined;
  connections(): ConnectionInfo[];
  /** Logged-in connections of an account (phone number) or of one device (device jid). */
  openConnectionCount(target: string): number;
  waitForOpenConnection(deviceJid: string, timeoutMs?: number): Promise<ConnectionInfo>;
  waitUntil<T>(check: () => T | undefined | null | false, timeoutMs: number, what: string): Promise<T>;
  /** `<stream:error>` with the code (440 is sent as `<conflict type="replaced"/>`); 401 also unlinks the device. */
  injectStreamError(target: ConnectionTarget, code: FaultCode, options?: StreamErrorOptions): number;
  /**
   * The account's next `count` logins fail with 401 although its devices stay linked: the
   * spurious logout some gateways have seen right after pairing (architecture §12).
   */
  failNextLogins(phoneNumber: string, count?: number): void;
  /** Closes the TCP socket without a WebSocket close frame. */
  dropConnection(target: ConnectionTarget): number;
  /** The server goes silent (no pongs, nothing): the client's keep-alive ends it with 408. */
  stopAnswering(target: ConnectionTarget): number;
  stop(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const identity = createServerIdentity();
  const media = await startMediaHost(options.host ?? '127.0.0.1');
  const hub = new Hub(identity, createIdSource(options.seed ?? 'wafleet'), media);
  const wss = new WebSocketServer({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    perMessageDeflate: false,
  });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  let nextId = 1;
  wss.on('connection', (ws) => {
    hub.add(new SimConnection(nextId++, ws, identity, hub));
  });
  const { port } = wss.address() as AddressInfo;
  const info = (c: SimConnection): ConnectionInfo => ({
    id: c.id,
    state: c.state,
    deviceJid: c.device?.jid,
    phoneNumber: c.device?.phone.number,
    silent: c.silent,
    openedAt: c.openedAt,
  });
  const openMatching = (target: string) =>
    [...hub.connections].filter(
      (c) =>
        c.state === 'open' &&
        c.device &&
        (c.device.jid === target || c.device.lid === target || c.device.phone.number === target),
    );
  const forEachTarget = (target: ConnectionTarget, act: (c: SimConnection) => void) => {
    const targets = hub.resolveTarget(target);
    for (const c of targets) act(c);
    return targets.length;
  };
  return {
    url: `ws://127.0.0.1:${port}/ws/chat`,
    rootPublicKey: identity.rootPublicKey,
    mediaCa: MEDIA_HOST_CA,
    media,
    events: hub.events,
    createPhone: (phoneOptions) => hub.createPhone(phoneOptions),
    createLinkedDevice: (deviceOptions) => makeLinkedDevice(hub, deviceOptions),
    phone: (number) => hub.findPhone(number, 's.whatsapp.net'),
    connections: () => [...hub.connections].map(info),
    openConnectionCount: (target) => openMatching(target).length,
    waitForOpenConnection: (deviceJid, timeoutMs = 5_000) =>
      waitUntil(
        () => {
          const conn = openMatching(deviceJid)[0];
          return conn ? info(conn) : undefined;
        },
        timeoutMs,
        `open connection of ${deviceJid}`,
        hub.events,
        'connection-open',
      ),
    waitUntil: (check, timeoutMs, what) => waitUntil(check, timeoutMs, what),
    failNextLogins: (phoneNumber, count = 1) => hub.spuriousLogouts.set(phoneNumber, count),
    injectStreamError: (target, code, options) =>
      forEachTarget(target, (c) => applyStreamError(c, code, options)),
    dropConnection: (target) => forEachTarget(target, (c) => c.drop()),
    stopAnswering: (target) =>
      forEachTarget(target, (c) => {
        c.silent = true;
      }),
    stop: async () => {
      for (const c of hub.connections) c.drop();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await media.stop();
    },
  };
}

export type { LinkedDevice };
