import { createRequire } from 'node:module';

/**
 * One Signal participant (a simulated phone's primary device) built on the `libsignal` package that
 * Baileys itself uses. libsignal is GPL-3, which is why this file lives under test/ only.
 */

interface LibKeyPair {
  pubKey: Buffer;
  privKey: Buffer;
}
interface LibSessionRecord {
  haveOpenSession(): boolean;
}
interface LibStorage {
  loadSession(id: string): Promise<LibSessionRecord | undefined>;
  storeSession(id: string, record: LibSessionRecord): Promise<void>;
  isTrustedIdentity(id: string, key: Uint8Array): boolean;
  loadPreKey(id: number | string): Promise<LibKeyPair | undefined>;
  removePreKey(id: number): void;
  loadSignedPreKey(id?: number): LibKeyPair;
  getOurRegistrationId(): number;
  getOurIdentity(): LibKeyPair;
}
interface LibProtocolAddress {
  toString(): string;
}
interface LibSignal {
  ProtocolAddress: new (name: string, deviceId: number) => LibProtocolAddress;
  SessionBuilder: new (
    storage: LibStorage,
    address: LibProtocolAddress,
  ) => { initOutgoing(bundle: PreKeyBundle): Promise<void> };
  SessionCipher: new (
    storage: LibStorage,
    address: LibProtocolAddress,
  ) => {
    encrypt(data: Uint8Array): Promise<{ type: number; body: string }>;
    decryptPreKeyWhisperMessage(data: Uint8Array): Promise<Buffer>;
    decryptWhisperMessage(data: Uint8Array): Promise<Buffer>;
  };
  keyhelper: {
    generateIdentityKeyPair(): LibKeyPair;
    generateRegistrationId(): number;
    generateSignedPreKey(
      identity: LibKeyPair,
      keyId: number,
    ): { keyId: number; keyPair: LibKeyPair; signature: Buffer };
    generatePreKey(keyId: number): { keyId: number; keyPair: LibKeyPair };
  };
}

const libsignal = createRequire(import.meta.url)('libsignal') as LibSignal;

/** A pre-key bundle in libsignal's shape; public keys carry the 0x05 type prefix. */
export interface PreKeyBundle {
  registrationId: number;
  identityKey: Buffer;
  signedPreKey: { keyId: number; publicKey: Buffer; signature: Buffer };
  preKey?: { keyId: number; publicKey: Buffer };
}

export type EncType = 'pkmsg' | 'msg';

/** Signal addresses cannot contain dots, so a JID becomes `user_domain.device` like Baileys does. */
export function signalAddressName(user: string, server: string): string {
  return server === 'lid' ? `${user}_1` : user;
}

export class SignalParty {
  readonly identity: LibKeyPair;
  readonly registrationId: number;
  private readonly signedPreKey: { keyId: number; keyPair: LibKeyPair; signature: Buffer };
  private readonly preKeys = new Map<number, LibKeyPair>();
  private readonly sessions = new Map<string, LibSessionRecord>();
  private nextPreKeyId = 1;
  private readonly storage: LibStorage;

  constructor() {
    this.identity = libsignal.keyhelper.generateIdentityKeyPair();
    this.registrationId = libsignal.keyhelper.generateRegistrationId();
    this.signedPreKey = libsignal.keyhelper.generateSignedPreKey(this.identity, 1);
    const sessions = this.sessions;
    const preKeys = this.preKeys;
    this.storage = {
      loadSession: async (id) => sessions.get(id),
      storeSession: async (id, record) => {
        sessions.set(id, record);
      },
      // Trust on first use, as WhatsApp Web does.
      isTrustedIdentity: () => true,
      loadPreKey: async (id) => preKeys.get(Number(id)),
      removePreKey: (id) => {
        preKeys.delete(Number(id));
      },
      loadSignedPreKey: () => this.signedPreKey.keyPair,
      getOurRegistrationId: () => this.registrationId,
      getOurIdentity: () => this.identity,
    };
  }

  /** The 32-byte identity public key (no type prefix), as WhatsApp's ADV and XMPP nodes carry it. */
  get identityPublic32(): Buffer {
    return this.identity.pubKey.subarray(1);
  }

  /** Hands out a bundle with a fresh one-time pre-key, as the server does for each `<key>` fetch. */
  takeBundle(): PreKeyBundle {
    const keyId = this.nextPreKeyId++;
    const preKey = libsignal.keyhelper.generatePreKey(keyId);
    this.preKeys.set(keyId, preKey.keyPair);
    return {
      registrationId: this.registrationId,
      identityKey: this.identity.pubKey,
      signedPreKey: {
        keyId: this.signedPreKey.keyId,
        publicKey: this.signedPreKey.keyPair.pubKey,
        signature: this.signedPreKey.signature,
      },
      preKey: { keyId, publicKey: preKey.keyPair.pubKey },
    };
  }

  hasSession(name: string, device: number): boolean {
    return this.sessions.get(this.address(name, device).toString())?.haveOpenSession() ?? false;
  }

  async startSession(name: string, device: number, bundle: PreKeyBundle): Promise<void> {
    await new libsignal.SessionBuilder(this.storage, this.address(name, device)).initOutgoing(bundle);
  }

  async encrypt(
    name: string,
    device: number,
    plaintext: Uint8Array,
  ): Promise<{ type: EncType; ciphertext: Buffer }> {
    const { type, body } = await new libsignal.SessionCipher(
      this.storage,
      this.address(name, device),
    ).encrypt(plaintext);
    return { type: type === 3 ? 'pkmsg' : 'msg', ciphertext: Buffer.from(body, 'binary') };
  }

  async decrypt(name: string, device: number, type: EncType, ciphertext: Uint8Array): Promise<Buffer> {
    const cipher = new libsignal.SessionCipher(this.storage, this.address(name, device));
    return type === 'pkmsg'
      ? cipher.decryptPreKeyWhisperMessage(ciphertext)
      : cipher.decryptWhisperMessage(ciphertext);
  }

  private address(name: string, device: number): LibProtocolAddress {
    return new libsignal.ProtocolAddress(name, device);
  }
}
