import {
  type AnyMediaMessageContent,
  type BinaryNode,
  downloadContentFromMessage,
  encodeWAMessage,
  type MediaDownloadOptions,
  type MediaType,
  prepareWAMessageMedia,
  type proto,
  toBuffer,
} from '@whiskeysockets/baileys';
import { downloadTrusting } from '../../socket-host/whatsapp/socket-options.js';
import type { Hub } from './hub.js';
import { MEDIA_HOST_CA } from './media-host.js';
import type { LinkedDevice } from './model.js';
import { parseQr, primaryFinish, primaryHello, unixNow } from './pairing.js';
import {
  buildContent,
  type ContentOptions,
  editOf,
  type PhoneContent,
  revokeOf,
  uploadTo,
} from './phone-content.js';
import { type EncType, SignalParty, signalAddressName } from './signal-party.js';
import { waitUntil } from './wait.js';
import { childBuffer, child as childNode } from './xmpp.js';

export interface PhoneOptions {
  /** Digits only; generated from the seed when omitted. */
  number?: string;
  pushName?: string;
  /** The primary's platform reported in `<pair-success>` (Baileys stores it as `creds.platform`). */
  platform?: string;
  /** Send a delivery receipt for every message the phone decrypts (default true, like a real phone). */
  autoDeliveryReceipts?: boolean;
}

/** A message a phone decrypted. `message` is the whole proto: the seam for media and other types. */
export interface ReceivedMessage {
  id: string;
  /** The sending device, `NUMBER:DEVICE@s.whatsapp.net`. */
  from: string;
  fromLid: string;
  /** The chat the sender addressed (`to` of the stanza): this phone's number or LID jid. */
  chatJid: string;
  text: string | undefined;
  message: proto.IMessage;
  /** True when it is a copy of the account's own linked device's message to someone else. */
  fromOwnDevice: boolean;
  receivedAt: number;
}

/**
 * A simulated account's phone (its primary device, id 0): it links companions by QR or pairing
 * code, holds a real Signal identity, and sends and receives end-to-end encrypted text.
 */
export class Phone {
  readonly jid: string;
  readonly lid: string;
  readonly signal = new SignalParty();
  readonly devices = new Map<number, LinkedDevice>();
  readonly pushName: string;
  readonly platform: string;
  autoDeliveryReceipts: boolean;
  private readonly inbox: ReceivedMessage[] = [];
  private readonly failures: Array<{ id: string; error: string }> = [];
  private deviceSerial = 0;

  constructor(
    private readonly hub: Hub,
    readonly number: string,
    readonly lidUser: string,
    options: PhoneOptions,
  ) {
    this.jid = `${number}@s.whatsapp.net`;
    this.lid = `${lidUser}@lid`;
    this.pushName = options.pushName ?? `Sim ${number.slice(-4)}`;
    this.platform = options.platform ?? 'android';
    this.autoDeliveryReceipts = options.autoDeliveryReceipts ?? true;
  }

  /** The account key signing companions is the phone's Signal identity, as on WhatsApp. */
  get accountKey(): { publicKey32: Buffer; privateKey: Buffer } {
    return { publicKey32: this.signal.identityPublic32, privateKey: this.signal.identity.privKey };
  }

  nextDeviceId(): number {
    return ++this.deviceSerial;
  }

  linkedDevices(): LinkedDevice[] {
    return [...this.devices.values()];
  }

  /** Links the device showing this QR (the string of Baileys' `connection.update { qr }`). */
  async scanQr(qr: string): Promise<LinkedDevice> {
    const scanned = parseQr(qr);
    const pending = this.hub.registrationForRef(scanned.ref);
    if (!pending) throw new Error('QR ref unknown or expired');
    if (!pending.registration.noisePublicKey.equals(scanned.noisePublicKey)) {
      throw new Error('QR noise key does not match the connection that showed it');
    }
    return this.hub.completeLinking(pending.conn, this, {
      identityKey: scanned.identityKey,
      advSecret: scanned.advSecret,
      platform: this.platform,
    });
  }

  /** Enters the 8-character code that `sock.requestPairingCode(phone.number)` returned. */
  async enterPairingCode(code: string, timeoutMs = 5_000): Promise<LinkedDevice> {
    const pending = await waitUntil(
      () => this.hub.pendingCodeFor(this.number),
      timeoutMs,
      'pairing-code request',
    );
    const hello = await primaryHello(code.replace(/-/g, '').toUpperCase(), pending.wrappedCompanionEphemeral);
    const finished = new Promise<BinaryNode>((resolve) => {
      pending.onFinish = resolve;
    });
    pending.conn.send({
      tag: 'notification',
      attrs: {
        from: 's.whatsapp.net',
        type: 'link_code_companion_reg',
        id: this.hub.ids.token(6),
        t: unixNow(),
      },
      content: [
        {
          tag: 'link_code_companion_reg',
          attrs: { stage: 'primary_hello' },
          content: [
            { tag: 'link_code_pairing_ref', attrs: {}, content: Buffer.from(pending.ref) },
            { tag: 'primary_identity_pub', attrs: {}, content: this.signal.identityPublic32 },
            {
              tag: 'link_code_pairing_wrapped_primary_ephemeral_pub',
              attrs: {},
              content: hello.wrappedPrimaryEphemeral,
            },
          ],
        },
      ],
    });
    const finish = await withTimeout(finished, timeoutMs, 'companion_finish');
    const reg = childNode(finish, 'link_code_companion_reg');
    const wrappedKeyBundle = childBuffer(reg, 'link_code_pairing_wrapped_key_bundle');
    if (!wrappedKeyBundle) throw new Error('companion_finish without key bundle');
    const { companionIdentityKey, advSecret } = primaryFinish({
      primaryEphemeral: hello.primaryEphemeral,
      companionEphemeral: hello.companionEphemeral,
      primaryIdentityPrivate: this.signal.identity.privKey,
      wrappedKeyBundle,
    });
    return this.hub.completeLinking(pending.conn, this, {
      identityKey: companionIdentityKey,
      advSecret,
      platform: this.platform,
    });
  }

  // ── messages ────────────────────────────────────────────────────────────

  /** Sends text to a linked device (`NUMBER:DEV@…`) or to every linked device of an account (`NUMBER@…`). */
  sendText(to: string, text: string): Promise<string> {
    return this.sendMessage(to, { conversation: text });
  }

  /** Any message proto: the hook for media and other content types. */
  async sendMessage(to: string, message: proto.IMessage): Promise<string> {
    const target = this.hub.resolveJid(to);
    if (!target) throw new Error('unknown recipient');
    const devices =
      target.device === 0
        ? target.phone.linkedDevices()
        : [target.phone.devices.get(target.device)].filter(isDevice);
    if (devices.length === 0) throw new Error('recipient has no linked device');
    const id = this.hub.ids.messageId();
    const plaintext = encodeWAMessage(message);
    for (const device of devices) {
      const { type, ciphertext } = await this.encryptFor(device, plaintext);
      this.hub.deliverToDevice(device, {
        tag: 'message',
        attrs: {
          id,
          from: this.lid,
          sender_pn: this.jid,
          type: 'text',
          t: unixNow(),
          notify: this.pushName,
        },
        content: [{ tag: 'enc', attrs: { v: '2', type }, content: ciphertext }],
      });
    }
    return id;
  }

  /**
   * Encrypts and uploads media as a phone does (Baileys' own media encryption, stored on the
   * simulator's media host), then sends the media message.
   */
  async sendMedia(to: string, content: AnyMediaMessageContent): Promise<string> {
    const message = await prepareWAMessageMedia(content, { upload: uploadTo(this.hub.media) });
    return this.sendMessage(to, message);
  }

  /**
   * Sends any content a phone's WhatsApp makes (see `PhoneContent`), built with Baileys' helpers;
   * `quoted` makes it a reply (`quotable(received)` turns a received message into one).
   */
  async send(to: string, content: PhoneContent, options: ContentOptions = {}): Promise<string> {
    const upload = uploadTo(this.hub.media);
    return this.sendMessage(to, await buildContent(content, { upload, from: this.jid, to, ...options }));
  }

  /** Edits a text this phone sent to `to` (a MESSAGE_EDIT protocol message); returns its own id. */
  editSent(to: string, messageId: string, text: string): Promise<string> {
    return this.send(to, editOf(to, messageId, text));
  }

  /** Deletes for everyone a message this phone sent to `to` (a REVOKE protocol message). */
  deleteSent(to: string, messageId: string): Promise<string> {
    return this.send(to, revokeOf(to, messageId));
  }

  /** Downloads and decrypts a received message's media over HTTPS from the media host, as Baileys does. */
  async downloadMedia(
    received: ReceivedMessage,
  ): Promise<{ type: MediaType; data: Buffer; mimetype?: string }> {
    const found = MEDIA_FIELDS.map((type) => [type, received.message[`${type}Message`]] as const).find(
      ([, content]) => content,
    );
    if (!found) throw new Error('message has no media');
    const [type, content] = found;
    if (!content?.mediaKey || !content.directPath) throw new Error('media message without key or path');
    const stream = await downloadContentFromMessage(
      { mediaKey: content.mediaKey, directPath: content.directPath, url: content.url },
      type,
      mediaDownload(),
    );
    return { type, data: await toBuffer(stream), mimetype: content.mimetype ?? undefined };
  }

  /** Delivery or read receipt for a message this phone received, sent to the device that sent it. */
  async sendReceipt(messageId: string, type: 'delivery' | 'read'): Promise<void> {
    const message = this.inbox.find((m) => m.id === messageId);
    if (!message) throw new Error('no such received message');
    const device = this.hub.resolveJid(message.from);
    const sender = device?.phone.devices.get(device.device);
    if (!sender) return;
    this.hub.deliverToDevice(sender, {
      tag: 'receipt',
      attrs: {
        id: messageId,
        from: message.chatJid,
        t: unixNow(),
        ...(type === 'read' ? { type: 'read' } : {}),
      },
    });
  }

  /** Messages this phone decrypted from other accounts' devices, oldest first. */
  received(): ReceivedMessage[] {
    return this.inbox.filter((m) => !m.fromOwnDevice);
  }

  /** Copies of messages the account's own linked devices sent to others. */
  ownDeviceCopies(): ReceivedMessage[] {
    return this.inbox.filter((m) => m.fromOwnDevice);
  }

  decryptionFailures(): Array<{ id: string; error: string }> {
    return [...this.failures];
  }

  waitForMessage(
    predicate: (m: ReceivedMessage) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<ReceivedMessage> {
    return waitUntil(
      () => this.received().find(predicate),
      timeoutMs,
      'phone message',
      this.hub.events,
      'phone-received',
    );
  }

  // ── called by the hub ───────────────────────────────────────────────────

  async decryptFrom(sender: LinkedDevice, type: EncType, ciphertext: Buffer): Promise<Buffer> {
    return this.signal.decrypt(
      signalAddressName(lidUserOf(sender), 'lid'),
      sender.deviceId,
      type,
      ciphertext,
    );
  }

  accept(input: { id: string; from: LinkedDevice; chatJid: string; message: proto.IMessage }): void {
    const fromOwnDevice = input.from.phone === this;
    const message = input.message.deviceSentMessage?.message ?? input.message;
    const record: ReceivedMessage = {
      id: input.id,
      from: input.from.jid,
      fromLid: input.from.lid,
      chatJid: input.chatJid,
      text: message.conversation ?? message.extendedTextMessage?.text ?? undefined,
      message,
      fromOwnDevice,
      receivedAt: Date.now(),
    };
    this.inbox.push(record);
    this.hub.events.emit('phone-received', { phoneNumber: this.number, messageId: input.id });
    if (this.autoDeliveryReceipts && !fromOwnDevice) void this.sendReceipt(input.id, 'delivery');
  }

  recordDecryptionFailure(id: string, error: unknown): void {
    this.failures.push({ id, error: error instanceof Error ? error.message : String(error) });
  }

  private async encryptFor(device: LinkedDevice, plaintext: Uint8Array) {
    const name = signalAddressName(lidUserOf(device), 'lid');
    if (!this.signal.hasSession(name, device.deviceId)) {
      const bundle = this.hub.takePreKeyBundle(device.lid);
      if (!bundle) throw new Error('device has not uploaded pre-keys yet');
      await this.signal.startSession(name, device.deviceId, {
        registrationId: bundle.registrationId,
        identityKey: withKeyType(bundle.identityKey),
        signedPreKey: { ...bundle.signedPreKey, publicKey: withKeyType(bundle.signedPreKey.publicKey) },
        ...(bundle.preKey
          ? { preKey: { keyId: bundle.preKey.keyId, publicKey: withKeyType(bundle.preKey.publicKey) } }
          : {}),
      });
    }
    return this.signal.encrypt(name, device.deviceId, plaintext);
  }
}

const MEDIA_FIELDS = ['image', 'video', 'audio', 'document', 'sticker'] as const;

let trusted: MediaDownloadOptions | undefined;
/** One HTTPS client for all phones, trusting the media host's certificate. */
function mediaDownload(): MediaDownloadOptions {
  trusted ??= downloadTrusting(MEDIA_HOST_CA);
  return trusted;
}

function lidUserOf(device: LinkedDevice): string {
  return device.lid.split(':')[0] ?? '';
}

function withKeyType(key: Buffer): Buffer {
  return key.length === 33 ? key : Buffer.concat([Buffer.from([5]), key]);
}

function isDevice(device: LinkedDevice | undefined): device is LinkedDevice {
  return device !== undefined;
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
