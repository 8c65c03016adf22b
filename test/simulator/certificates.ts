import { Curve, type KeyPair, proto } from '@whiskeysockets/baileys';

/**
 * The simulator's own certificate root. Baileys checks intermediate ← root (WA_CERT_DETAILS.PUBLIC_KEY,
 * issuer serial 0) and leaf ← intermediate; the leaf names the server's static Noise key.
 */
export interface ServerIdentity {
  rootPublicKey: Buffer;
  staticKey: KeyPair;
  certChain: Buffer;
}

// One root per process: Baileys trusts a single root (a global), so every simulator started in the
// same process signs with the same one and sockets of an earlier simulator keep working.
let processRoot: KeyPair | undefined;

export function createServerIdentity(): ServerIdentity {
  processRoot ??= Curve.generateKeyPair();
  const root = processRoot;
  const intermediate = Curve.generateKeyPair();
  const staticKey = Curve.generateKeyPair();
  const now = Math.floor(Date.now() / 1000);
  const validFor = { notBefore: now - 3600, notAfter: now + 365 * 24 * 3600 };
  const intermediateDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: 1,
    issuerSerial: 0,
    key: intermediate.public,
    ...validFor,
  }).finish();
  const leafDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: 2,
    issuerSerial: 1,
    key: staticKey.public,
    ...validFor,
  }).finish();
  const certChain = proto.CertChain.encode({
    intermediate: { details: intermediateDetails, signature: Curve.sign(root.private, intermediateDetails) },
    leaf: { details: leafDetails, signature: Curve.sign(intermediate.private, leafDetails) },
  }).finish();
  return { rootPublicKey: Buffer.from(root.public), staticKey, certChain: Buffer.from(certChain) };
}
