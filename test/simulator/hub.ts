import { EventEmitter } from 'node:events';
import { type BinaryNode, jidDecode, type proto } from '@whiskeysockets/baileys';
import type { ServerIdentity } from './certificates.js';
import type { ConnectionHandlers, SimConnection } from './connection.js';
import type { IdSource } from './ids.js';
import { answerIq } from './iq-handlers.js';
import type { MediaHost } from './media-host.js';
import { onClientMessage, onClientReceipt } from './messaging.js';
import type { LinkedDevice, PendingRegistration } from './model.js';
import { buildPairSuccess, unixNow } from './pairing.js';
import { Phone, type PhoneOptions } from './phone.js';
import { child, childBuffer, contentText, iqResult } from './xmpp.js';

/** Events tests and demos can await (see `SimulatorEvents`). */
export interface HubEvents {
  'connection-open': [{ connectionId: number; deviceJid: string }];
  'connection-closed': [{ connectionId: number; deviceJid: string | undefined }];
  'qr-requested': [{ connectionId: number }];
  'device-linked': [{ deviceJid: string }];
  'keys-uploaded': [{ deviceJid: string }];
  'phone-received': [{ phoneNumber: string; messageId: string }];
  'device-receipt': [{ phoneNumber: string; messageId: string; type: string }];
}

/** A 32-byte-key bundle as it goes on the wire in `<key>` answers. */
export interface WireBundle {
  registrationId: number;
  identityKey: Buffer;
  signedPreKey: { keyId: number; publicKey: Buffer; signature: Buffer };
  preKey?: { keyId: number; publicKey: Buffer };
}

interface PendingCode {
  conn: SimConnection;
  ref: string;
  wrappedCompanionEphemeral: Buffer;
  onFinish?: (node: BinaryNode) => void;
}

const CLIENT_ANSWER_TIMEOUT_MS = 10_000;

/**
 * The simulated WhatsApp server: who is registered, which connection is which device, and where a
 * stanza goes. Connections only speak Noise; phones only speak this hub's methods.
 */
export class Hub implements ConnectionHandlers {
  readonly events = new EventEmitter<HubEvents>();
  readonly connections = new Set<SimConnection>();
  private readonly phonesByNumber = new Map<string, Phone>();
  private readonly phonesByLid = new Map<string, Phone>();
  private readonly registrations = new Map<SimConnection, PendingRegistration>();
  private readonly refs = new Map<string, SimConnection>();
  private readonly pendingCodes = new Map<string, PendingCode>();
  private readonly clientAnswers = new Map<string, (node: BinaryNode) => void>();

  constructor(
    readonly identity: ServerIdentity,
    readonly ids: IdSource,
    readonly media: MediaHost,
  ) {
    this.events.setMaxListeners(0);
  }

  // ── registry ────────────────────────────────────────────────────────────

  createPhone(options: PhoneOptions = {}): Phone {
    const phone = new Phone(this, options.number ?? this.ids.phoneNumber(), this.ids.lidUser(), options);
    this.phonesByNumber.set(phone.number, phone);
    this.phonesByLid.set(phone.lidUser, phone);
    return phone;
  }

  findPhone(user: string, server: string): Phone | undefined {
    return server === 'lid' ? this.phonesByLid.get(user) : this.phonesByNumber.get(user);
  }

  /** Resolves `USER[:DEVICE]@server` to the phone and device id it names. */
  resolveJid(jid: string): { phone: Phone; device: number } | undefined {
    const decoded = jidDecode(jid);
    if (!decoded) return undefined;
    const phone = this.findPhone(decoded.user, decoded.server);
    return phone ? { phone, device: decoded.device ?? 0 } : undefined;
  }

  takePreKeyBundle(jid: string): WireBundle | undefined {
    const target = this.resolveJid(jid);
    if (!target) return undefined;
    if (target.device === 0) {
      const bundle = target.phone.signal.takeBundle();
      return {
        registrationId: bundle.registrationId,
        identityKey: bundle.identityKey.subarray(1),
        signedPreKey: { ...bundle.signedPreKey, publicKey: bundle.signedPreKey.publicKey.subarray(1) },
        ...(bundle.preKey
          ? { preKey: { keyId: bundle.preKey.keyId, publicKey: bundle.preKey.publicKey.subarray(1) } }
          : {}),
      };
    }
    const device = target.phone.devices.get(target.device);
    const keys = device?.keys;
    if (!keys) return undefined;
    const next = keys.preKeys.entries().next();
    let preKey: WireBundle['preKey'];
    if (!next.done) {
      const [keyId, publicKey] = next.value;
      keys.preKeys.delete(keyId);
      preKey = { keyId, publicKey };
    }
    return {
      registrationId: keys.registrationId,
      identityKey: keys.identityKey,
      signedPreKey: keys.signedPreKey,
      ...(preKey ? { preKey } : {}),
    };
  }

  openConnectionsOf(device: LinkedDevice): SimConnection[] {
    return [...this.connections].filter((c) => c.device === device && c.state === 'open');
  }

  /** Sends to every open connection of the device, or keeps it for the device's next login. */
  deliverToDevice(device: LinkedDevice, node: BinaryNode): void {
    const open = this.openConnectionsOf(device);
    if (open.length === 0) {
      device.offline.push(node);
      return;
    }
    for (const conn of open) conn.send(node);
  }

  emitKeysUploaded(device: LinkedDevice): void {
    this.events.emit('keys-uploaded', { deviceJid: device.jid });
  }

  // ── connection lifecycle ────────────────────────────────────────────────

  add(conn: SimConnection): void {
    this.connections.add(conn);
  }

  onClientPayload(conn: SimConnection, payload: proto.ClientPayload): void {
    if (payload.devicePairingData) {
      this.startRegistration(conn, payload.devicePairingData);
      return;
    }
    this.login(conn, String(payload.username ?? ''), payload.device ?? 0);
  }

  async onNode(conn: SimConnection, node: BinaryNode): Promise<void> {
    switch (node.tag) {
      case 'iq': {
        if (node.attrs.type === 'result' || node.attrs.type === 'error') {
          const waiter = this.clientAnswers.get(node.attrs.id ?? '');
          if (waiter) {
            this.clientAnswers.delete(node.attrs.id ?? '');
            waiter(node);
          }
          return;
        }
        const answer = answerIq(this, conn, node);
        if (answer) conn.send(answer);
        return;
      }
      case 'message':
        await onClientMessage(this, conn, node);
        return;
      case 'receipt':
        onClientReceipt(this, conn, node);
        return;
      default:
        // ack, ib (unified_session, offline_batch), presence, chatstate: nothing to answer.
        return;
    }
  }

  onClose(conn: SimConnection): void {
    this.connections.delete(conn);
    const registration = this.registrations.get(conn);
    if (registration) for (const ref of registration.refs) this.refs.delete(ref);
    this.registrations.delete(conn);
    for (const [number, pending] of this.pendingCodes)
      if (pending.conn === conn) this.pendingCodes.delete(number);
    this.events.emit('connection-closed', { connectionId: conn.id, deviceJid: conn.device?.jid });
  }

  private startRegistration(
    conn: SimConnection,
    data: proto.ClientPayload.IDevicePairingRegistrationData,
  ): void {
    const refs = Array.from({ length: 6 }, () => `2@${this.ids.token(24)}`);
    this.registrations.set(conn, {
      noisePublicKey: conn.clientStaticKey ?? Buffer.alloc(0),
      identityKey: Buffer.from(data.eIdent ?? []),
      refs,
    });
    for (const ref of refs) this.refs.set(ref, conn);
    conn.state = 'pairing';
    conn.send({
      tag: 'iq',
      attrs: { id: this.ids.token(6), type: 'set', from: 's.whatsapp.net', xmlns: 'md' },
      content: [
        {
          tag: 'pair-device',
          attrs: {},
          content: refs.map((ref) => ({ tag: 'ref', attrs: {}, content: Buffer.from(ref) })),
        },
      ],
    });
    this.events.emit('qr-requested', { connectionId: conn.id });
  }

  /** Logins of an account to answer with `<failure reason="401">` although the device is linked. */
  readonly spuriousLogouts = new Map<string, number>();

  private login(conn: SimConnection, number: string, deviceId: number): void {
    const spurious = this.spuriousLogouts.get(number) ?? 0;
    if (spurious > 0) {
      this.spuriousLogouts.set(number, spurious - 1);
      conn.send({ tag: 'failure', attrs: { reason: '401', location: 'simulator' } });
      return;
    }
    const device = this.phonesByNumber.get(number)?.devices.get(deviceId);
    if (!device || !conn.clientStaticKey || !device.noisePublicKey.equals(conn.clientStaticKey)) {
      // What WhatsApp answers a removed or unknown companion: Baileys closes with 401 loggedOut.
      conn.send({ tag: 'failure', attrs: { reason: '401', location: 'simulator' } });
      return;
    }
    // One live session per device: the older one is replaced, as WhatsApp does (440).
    for (const older of this.openConnectionsOf(device)) older.sendStreamError(440);
    conn.device = device;
    conn.state = 'open';
    conn.send({ tag: 'success', attrs: { t: unixNow(), lid: device.lid, props: '1', location: 'sim' } });
    const queued = device.offline.splice(0);
    for (const node of queued) conn.send(node);
    conn.send({
      tag: 'ib',
      attrs: {},
      content: [{ tag: 'offline', attrs: { count: String(queued.length) } }],
    });
    this.events.emit('connection-open', { connectionId: conn.id, deviceJid: device.jid });
  }

  // ── linking ─────────────────────────────────────────────────────────────

  registrationForRef(ref: string): { conn: SimConnection; registration: PendingRegistration } | undefined {
    const conn = this.refs.get(ref);
    const registration = conn ? this.registrations.get(conn) : undefined;
    return conn && registration ? { conn, registration } : undefined;
  }

  /** Allocates the next device id for the phone and records the companion. */
  registerDevice(
    phone: Phone,
    input: { noisePublicKey: Buffer; identityKey: Buffer; platform: string },
  ): LinkedDevice {
    const deviceId = phone.nextDeviceId();
    const device: LinkedDevice = {
      phone,
      deviceId,
      jid: `${phone.number}:${deviceId}@s.whatsapp.net`,
      lid: `${phone.lidUser}:${deviceId}@lid`,
      noisePublicKey: input.noisePublicKey,
      identityKey: input.identityKey,
      keyIndex: deviceId,
      platform: input.platform,
      keys: undefined,
      offline: [],
    };
    phone.devices.set(deviceId, device);
    this.events.emit('device-linked', { deviceJid: device.jid });
    return device;
  }

  /**
   * Sends `<pair-success>`, waits for the client's `pair-device-sign`, then asks it to restart (515)
   * so it logs in with its new identity, as WhatsApp does.
   */
  async completeLinking(
    conn: SimConnection,
    phone: Phone,
    input: { identityKey: Buffer; advSecret: Buffer; platform: string },
  ): Promise<LinkedDevice> {
    const device = this.registerDevice(phone, {
      noisePublicKey: conn.clientStaticKey ?? Buffer.alloc(0),
      identityKey: input.identityKey,
      platform: input.platform,
    });
    const stanzaId = this.ids.token(6);
    const answer = this.awaitClientAnswer(stanzaId);
    conn.send(
      buildPairSuccess({
        stanzaId,
        accountKey: phone.accountKey,
        companionIdentityKey: input.identityKey,
        advSecret: input.advSecret,
        deviceJid: device.jid,
        deviceLid: device.lid,
        keyIndex: device.keyIndex,
        platform: input.platform,
      }),
    );
    const reply = await answer;
    if (!child(reply, 'pair-device-sign')) {
      phone.devices.delete(device.deviceId);
      throw new Error('client rejected pair-success');
    }
    this.forgetRegistration(conn);
    conn.device = device;
    conn.sendStreamError(515);
    return device;
  }

  private forgetRegistration(conn: SimConnection): void {
    const registration = this.registrations.get(conn);
    if (registration) for (const ref of registration.refs) this.refs.delete(ref);
    this.registrations.delete(conn);
  }

  awaitClientAnswer(id: string): Promise<BinaryNode> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.clientAnswers.delete(id);
        reject(new Error(`client did not answer stanza ${id}`));
      }, CLIENT_ANSWER_TIMEOUT_MS);
      this.clientAnswers.set(id, (node) => {
        clearTimeout(timer);
        resolve(node);
      });
    });
  }

  pendingCodeFor(number: string): PendingCode | undefined {
    return this.pendingCodes.get(number);
  }

  /** `xmlns=md` queries: pairing-code stages and companion removal (logout). */
  onMdIq(conn: SimConnection, iq: BinaryNode): BinaryNode | undefined {
    const reg = child(iq, 'link_code_companion_reg');
    if (reg?.attrs.stage === 'companion_hello') {
      const number = (reg.attrs.jid ?? '').split('@')[0]?.split(':')[0] ?? '';
      const ref = this.ids.token(16);
      this.pendingCodes.set(number, {
        conn,
        ref,
        wrappedCompanionEphemeral:
          childBuffer(reg, 'link_code_pairing_wrapped_companion_ephemeral_pub') ?? Buffer.alloc(0),
      });
      return iqResult(iq, [
        {
          tag: 'link_code_companion_reg',
          attrs: {},
          content: [{ tag: 'link_code_pairing_ref', attrs: {}, content: Buffer.from(ref) }],
        },
      ]);
    }
    if (reg?.attrs.stage === 'companion_finish') {
      const ref = contentText(child(reg, 'link_code_pairing_ref'));
      const pending = [...this.pendingCodes.values()].find((p) => p.ref === ref && p.conn === conn);
      pending?.onFinish?.(iq);
      return iqResult(iq);
    }
    const removal = child(iq, 'remove-companion-device');
    if (removal && conn.device) {
      conn.device.phone.devices.delete(conn.device.deviceId);
    }
    return iqResult(iq);
  }

  // ── faults ──────────────────────────────────────────────────────────────

  /** Connections named by a device jid (`NUMBER:DEV@s.whatsapp.net` or its LID), a phone number, or id. */
  resolveTarget(target: string | number | SimConnection): SimConnection[] {
    if (typeof target === 'object') return [target];
    if (typeof target === 'number') return [...this.connections].filter((c) => c.id === target);
    return [...this.connections].filter(
      (c) =>
        c.device !== undefined &&
        (c.device.jid === target ||
          c.device.lid === target ||
          c.device.phone.number === target.split('@')[0]),
    );
  }
}
