import { WA_CERT_DETAILS } from '@whiskeysockets/baileys';

/**
 * The one switch that makes Baileys accept the WhatsApp simulator's Noise certificate root instead
 * of WhatsApp's. It exists for demo mode and tests only, so it refuses to turn on unless a simulator
 * URL is configured, and refuses outright inside AWS, where production runs.
 */

/** Variables AWS sets in Lambda and ECS: any of them means "this is a deployed process". */
export const AWS_RUNTIME_MARKERS = [
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'ECS_CONTAINER_METADATA_URI',
  'ECS_CONTAINER_METADATA_URI_V4',
] as const;

export class SimulatorTrustRefusedError extends Error {
  readonly code = 'SIMULATOR_TRUST_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'SimulatorTrustRefusedError';
  }
}

export interface TrustSimulatorRootInput {
  simulatorUrl: string | undefined;
  /** The simulator's 32-byte Curve25519 root public key. */
  rootPublicKey: Uint8Array;
  env?: Readonly<Record<string, string | undefined>>;
}

/** Throws unless trusting the simulator is allowed: a simulator URL is set and this is not AWS. */
export function assertSimulatorTrustAllowed(
  simulatorUrl: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): void {
  if (!simulatorUrl) {
    throw new SimulatorTrustRefusedError('no simulator URL configured: WhatsApp trust stays in place');
  }
  const marker = AWS_RUNTIME_MARKERS.find((name) => env[name]);
  if (marker) {
    throw new SimulatorTrustRefusedError(`refusing to trust a simulator inside AWS (${marker} is set)`);
  }
}

export function trustSimulatorRoot({
  simulatorUrl,
  rootPublicKey,
  env = process.env,
}: TrustSimulatorRootInput): void {
  assertSimulatorTrustAllowed(simulatorUrl, env);
  if (rootPublicKey.length !== 32) {
    throw new SimulatorTrustRefusedError('simulator root public key must be 32 bytes');
  }
  WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(rootPublicKey);
}
