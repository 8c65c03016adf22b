import { aesDecryptGCM, aesEncryptGCM, Curve, hkdf, NOISE_MODE, sha256 } from '@whiskeysockets/baileys';

/**
 * The responder half of WhatsApp's Noise_XX_25519_AESGCM_SHA256 handshake (Baileys' client half is
 * `Utils/noise-handler.js`). One instance per connection; after `finish()` it becomes the transport.
 */
export class NoiseResponder {
  private hash: Buffer;
  private salt: Buffer;
  private key: Buffer;
  private counter = 0;
  private transport: { enc: Buffer; dec: Buffer; encCounter: number; decCounter: number } | undefined;

  constructor() {
    const mode = Buffer.from(NOISE_MODE);
    // The mode string is exactly 32 bytes, so Noise uses it as the initial hash unhashed.
    this.hash = mode.length === 32 ? mode : sha256(mode);
    this.salt = this.hash;
    this.key = this.hash;
  }

  get isTransport(): boolean {
    return this.transport !== undefined;
  }

  authenticate(data: Uint8Array): void {
    this.hash = sha256(Buffer.concat([this.hash, data]));
  }

  mixIntoKey(data: Uint8Array): void {
    const derived = hkdf(Buffer.from(data), 64, { salt: this.salt, info: '' });
    this.salt = Buffer.from(derived.subarray(0, 32));
    this.key = Buffer.from(derived.subarray(32));
    this.counter = 0;
  }

  mixSharedSecret(privateKey: Uint8Array, publicKey: Uint8Array): void {
    this.mixIntoKey(Curve.sharedKey(privateKey, publicKey));
  }

  encryptHandshake(plaintext: Uint8Array): Buffer {
    const out = aesEncryptGCM(plaintext, this.key, ivFor(this.counter++), this.hash);
    this.authenticate(out);
    return Buffer.from(out);
  }

  decryptHandshake(ciphertext: Uint8Array): Buffer {
    const out = aesDecryptGCM(ciphertext, this.key, ivFor(this.counter++), this.hash);
    this.authenticate(ciphertext);
    return Buffer.from(out);
  }

  /** Splits the transport keys; the client writes with the first half, so the server reads with it. */
  finish(): void {
    const derived = hkdf(Buffer.alloc(0), 64, { salt: this.salt, info: '' });
    this.transport = {
      dec: Buffer.from(derived.subarray(0, 32)),
      enc: Buffer.from(derived.subarray(32)),
      encCounter: 0,
      decCounter: 0,
    };
  }

  encrypt(plaintext: Uint8Array): Buffer {
    const t = this.requireTransport();
    return Buffer.from(aesEncryptGCM(plaintext, t.enc, ivFor(t.encCounter++), EMPTY));
  }

  decrypt(ciphertext: Uint8Array): Buffer {
    const t = this.requireTransport();
    return Buffer.from(aesDecryptGCM(ciphertext, t.dec, ivFor(t.decCounter++), EMPTY));
  }

  private requireTransport() {
    if (!this.transport) throw new Error('noise transport not ready');
    return this.transport;
  }
}

const EMPTY = Buffer.alloc(0);

function ivFor(counter: number): Buffer {
  const iv = Buffer.alloc(12);
  iv.writeUInt32BE(counter, 8);
  return iv;
}
