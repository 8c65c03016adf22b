import { randomBytes, randomInt } from 'node:crypto';
import {
  aesDecryptCTR,
  aesDecryptGCM,
  aesEncryptCTR,
  type BinaryNode,
  Curve,
  derivePairingCodeKey,
  hkdf,
  hmacSign,
  type KeyPair,
  proto,
  S_WHATSAPP_NET,
  WA_ADV_ACCOUNT_SIG_PREFIX,
} from '@whiskeysockets/baileys';

/** What a phone reads from a linking QR: `https://wa.me/settings/linked_devices#ref,noise,identity,adv,platform`. */
export interface ScannedQr {
  ref: string;
  noisePublicKey: Buffer;
  identityKey: Buffer;
  advSecret: Buffer;
  platformId: string;
}

export function parseQr(qr: string): ScannedQr {
  const fragment = qr.includes('#') ? qr.slice(qr.indexOf('#') + 1) : qr;
  const [ref, noise, identity, adv, platformId] = fragment.split(',');
  if (!ref || !noise || !identity || !adv) throw new Error('not a WhatsApp linking QR');
  return {
    ref,
    noisePublicKey: Buffer.from(noise, 'base64'),
    identityKey: Buffer.from(identity, 'base64'),
    advSecret: Buffer.from(adv, 'base64'),
    platformId: platformId ?? '',
  };
}

export interface PairSuccessInput {
  stanzaId: string;
  /** The phone's account key: it signs the companion's identity, as the real phone does. */
  accountKey: { publicKey32: Buffer; privateKey: Buffer };
  companionIdentityKey: Buffer;
  advSecret: Buffer;
  deviceJid: string;
  deviceLid: string;
  keyIndex: number;
  platform: string;
}

/**
 * `<pair-success>` as `configureSuccessfulPairing` checks it: an ADVSignedDeviceIdentity whose account
 * signature covers prefix ‖ details ‖ companion identity, wrapped in an HMAC keyed by the adv secret.
 */
export function buildPairSuccess(input: PairSuccessInput): BinaryNode {
  const details = proto.ADVDeviceIdentity.encode({
    rawId: randomInt(1, 2 ** 31),
    timestamp: Math.floor(Date.now() / 1000),
    keyIndex: input.keyIndex,
  }).finish();
  const accountSignature = Curve.sign(
    input.accountKey.privateKey,
    Buffer.concat([WA_ADV_ACCOUNT_SIG_PREFIX, details, input.companionIdentityKey]),
  );
  const signedIdentity = proto.ADVSignedDeviceIdentity.encode({
    details,
    accountSignatureKey: input.accountKey.publicKey32,
    accountSignature,
  }).finish();
  const identityHmac = proto.ADVSignedDeviceIdentityHMAC.encode({
    details: signedIdentity,
    hmac: hmacSign(Buffer.from(signedIdentity), input.advSecret),
  }).finish();
  return {
    tag: 'iq',
    attrs: { id: input.stanzaId, type: 'set', from: S_WHATSAPP_NET, xmlns: 'md', t: unixNow() },
    content: [
      {
        tag: 'pair-success',
        attrs: {},
        content: [
          { tag: 'device-identity', attrs: { 'key-index': String(input.keyIndex) }, content: identityHmac },
          { tag: 'device', attrs: { jid: input.deviceJid, lid: input.deviceLid } },
          { tag: 'platform', attrs: { name: input.platform } },
        ],
      },
    ],
  };
}

/** The phone's half of pairing-code linking, step one: unwrap the companion's key, wrap its own. */
export async function primaryHello(code: string, wrappedCompanionEphemeral: Buffer) {
  const companionEphemeral = await unwrapWithCode(code, wrappedCompanionEphemeral);
  const primaryEphemeral = Curve.generateKeyPair();
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const key = await derivePairingCodeKey(code, salt);
  const wrappedPrimaryEphemeral = Buffer.concat([salt, iv, aesEncryptCTR(primaryEphemeral.public, key, iv)]);
  return { companionEphemeral, primaryEphemeral, wrappedPrimaryEphemeral };
}

/**
 * Step two, on `companion_finish`: decrypt the companion's key bundle and derive the adv secret the
 * same way `messages-recv.js` does on the companion side, so the pair-success HMAC matches.
 */
export function primaryFinish(input: {
  primaryEphemeral: KeyPair;
  companionEphemeral: Buffer;
  primaryIdentityPrivate: Buffer;
  wrappedKeyBundle: Buffer;
}): { companionIdentityKey: Buffer; advSecret: Buffer } {
  const companionShared = Curve.sharedKey(input.primaryEphemeral.private, input.companionEphemeral);
  const salt = input.wrappedKeyBundle.subarray(0, 32);
  const iv = input.wrappedKeyBundle.subarray(32, 44);
  const ciphertext = input.wrappedKeyBundle.subarray(44);
  const bundleKey = hkdf(companionShared, 32, { salt, info: 'link_code_pairing_key_bundle_encryption_key' });
  const bundle = Buffer.from(aesDecryptGCM(ciphertext, Buffer.from(bundleKey), iv, Buffer.alloc(0)));
  const companionIdentityKey = bundle.subarray(0, 32);
  const random = bundle.subarray(64, 96);
  const identityShared = Curve.sharedKey(input.primaryIdentityPrivate, companionIdentityKey);
  const advSecret = Buffer.from(
    hkdf(Buffer.concat([companionShared, identityShared, random]), 32, { info: 'adv_secret' }),
  );
  return { companionIdentityKey: Buffer.from(companionIdentityKey), advSecret };
}

async function unwrapWithCode(code: string, wrapped: Buffer): Promise<Buffer> {
  const salt = wrapped.subarray(0, 32);
  const iv = wrapped.subarray(32, 48);
  const key = await derivePairingCodeKey(code, salt);
  return Buffer.from(aesDecryptCTR(wrapped.subarray(48, 80), key, iv));
}

export function unixNow(): string {
  return String(Math.floor(Date.now() / 1000));
}
