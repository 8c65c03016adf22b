import {
  type AuthenticationCreds,
  Curve,
  configureSuccessfulPairing,
  initAuthCreds,
  type KeyPair,
} from '@whiskeysockets/baileys';
import type { Hub } from './hub.js';
import type { LinkedDevice } from './model.js';
import { buildPairSuccess } from './pairing.js';
import type { Phone } from './phone.js';

export interface LinkedDeviceOptions {
  /** The account to link to; a new phone when omitted. */
  phone?: Phone;
  /**
   * One-time pre-keys generated here and registered as already uploaded (default 30). With more
   * than 5 the client skips its 812-key upload at first login, which is what makes bulk linking
   * cheap; 0 makes the first login upload like a freshly QR-linked device.
   */
  preKeyCount?: number;
}

/** Creds plus the key-store entries they depend on, to seed an auth state before the first login. */
export interface LinkedDeviceCreds {
  creds: AuthenticationCreds;
  keys: { 'pre-key': Record<string, KeyPair> };
  phone: Phone;
  device: LinkedDevice;
}

/**
 * Produces what a QR link would have left in the auth state, by running Baileys' own
 * `configureSuccessfulPairing` on a pair-success the phone signed, but without a connection.
 */
export function makeLinkedDevice(hub: Hub, options: LinkedDeviceOptions = {}): LinkedDeviceCreds {
  const phone = options.phone ?? hub.createPhone();
  const creds = initAuthCreds();
  const device = hub.registerDevice(phone, {
    noisePublicKey: Buffer.from(creds.noiseKey.public),
    identityKey: Buffer.from(creds.signedIdentityKey.public),
    platform: phone.platform,
  });
  const stanza = buildPairSuccess({
    stanzaId: hub.ids.token(6),
    accountKey: phone.accountKey,
    companionIdentityKey: Buffer.from(creds.signedIdentityKey.public),
    advSecret: Buffer.from(creds.advSecretKey, 'base64'),
    deviceJid: device.jid,
    deviceLid: device.lid,
    keyIndex: device.keyIndex,
    platform: phone.platform,
  });
  Object.assign(creds, configureSuccessfulPairing(stanza, creds).creds);
  const preKeyCount = options.preKeyCount ?? 30;
  const preKeys: Record<string, KeyPair> = {};
  const uploaded = new Map<number, Buffer>();
  for (let id = 1; id <= preKeyCount; id++) {
    const pair = Curve.generateKeyPair();
    preKeys[String(id)] = pair;
    uploaded.set(id, Buffer.from(pair.public));
  }
  if (preKeyCount > 0) {
    creds.nextPreKeyId = preKeyCount + 1;
    creds.firstUnuploadedPreKeyId = preKeyCount + 1;
    device.keys = {
      registrationId: creds.registrationId,
      identityKey: Buffer.from(creds.signedIdentityKey.public),
      signedPreKey: {
        keyId: creds.signedPreKey.keyId,
        publicKey: Buffer.from(creds.signedPreKey.keyPair.public),
        signature: Buffer.from(creds.signedPreKey.signature),
      },
      preKeys: uploaded,
    };
  }
  return { creds, keys: { 'pre-key': preKeys }, phone, device };
}
