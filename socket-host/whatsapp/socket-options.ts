import { Agent as HttpsAgent } from 'node:https';
import type { MediaDownloadOptions, UserFacingSocketConfig } from '@whiskeysockets/baileys';
import { Agent as FetchDispatcher } from 'undici';
import type { Config } from '../../shared/config.js';
import { assertSimulatorTrustAllowed, trustSimulatorRoot } from './trust-simulator.js';

/** Where WhatsApp is, as Baileys' socket and its media downloads need to know. */
export interface WhatsAppEndpoint {
  socketOptions: Partial<UserFacingSocketConfig>;
  /** Passed to Baileys' media downloads. */
  mediaDownload: MediaDownloadOptions;
}

/**
 * Nothing in production. In demo mode and tests: the simulator's URL, after trusting its
 * certificate root, and clients that trust its HTTPS media host; all refused inside AWS.
 */
export function whatsappEndpoint(
  config: Config,
  env: Readonly<Record<string, string | undefined>> = process.env,
): WhatsAppEndpoint {
  const { webSocketUrl, simulatorRootKey, simulatorMediaCa } = config.whatsapp;
  if (!webSocketUrl) return { socketOptions: {}, mediaDownload: {} };
  if (simulatorRootKey) {
    trustSimulatorRoot({
      simulatorUrl: webSocketUrl,
      rootPublicKey: Buffer.from(simulatorRootKey, 'base64'),
      env,
    });
  }
  if (!simulatorMediaCa) return { socketOptions: { waWebSocketUrl: webSocketUrl }, mediaDownload: {} };
  assertSimulatorTrustAllowed(webSocketUrl, env);
  return {
    // Baileys uploads with node:https on Node, and downloads with fetch: each needs its own client.
    socketOptions: { waWebSocketUrl: webSocketUrl, fetchAgent: new HttpsAgent({ ca: simulatorMediaCa }) },
    mediaDownload: downloadTrusting(simulatorMediaCa),
  };
}

/** Download options whose fetch trusts `ca`. */
export function downloadTrusting(ca: string): MediaDownloadOptions {
  const dispatcher = new FetchDispatcher({ connect: { ca } });
  // Node's RequestInit types `dispatcher` with the undici version it bundles; ours is newer.
  return { options: { dispatcher } as unknown as RequestInit };
}
