import type { BinaryNode } from '@whiskeysockets/baileys';
import type { Phone } from './phone.js';

/** What a linked device uploaded with `iq xmlns=encrypt type=set`: how a phone starts a session with it. */
export interface UploadedKeys {
  registrationId: number;
  /** 32-byte keys, without the 0x05 type prefix, as they travel in XMPP nodes. */
  identityKey: Buffer;
  signedPreKey: { keyId: number; publicKey: Buffer; signature: Buffer };
  preKeys: Map<number, Buffer>;
}

/** A companion device linked to a simulated phone's account. */
export interface LinkedDevice {
  phone: Phone;
  deviceId: number;
  /** `NUMBER:DEVICE@s.whatsapp.net` */
  jid: string;
  /** `LIDUSER:DEVICE@lid` */
  lid: string;
  /** The device's Noise static key: the server recognises the device by it at login. */
  noisePublicKey: Buffer;
  identityKey: Buffer;
  keyIndex: number;
  platform: string;
  keys: UploadedKeys | undefined;
  /** Stanzas addressed to the device while it was offline, delivered after its next `<success>`. */
  offline: BinaryNode[];
}

/** A new device waiting to be linked: what its registration payload and QR carry. */
export interface PendingRegistration {
  noisePublicKey: Buffer;
  identityKey: Buffer;
  refs: string[];
}
