import { Agent as HttpsAgent } from 'node:https';
import { Browsers, type MediaDownloadOptions, type UserFacingSocketConfig } from '@whiskeysockets/baileys';
import { Agent as FetchDispatcher } from 'undici';
import type { Config } from '../../shared/config.js';
import { assertSimulatorTrustAllowed, trustSimulatorRoot } from './trust-simulator.js';

/** Baileys' `Browsers` by the names WA_BROWSER uses. */
const PLATFORMS = {
  ubuntu: Browsers.ubuntu,
  macos: Browsers.macOS,
  windows: Browsers.windows,
  baileys: Browsers.baileys,
} as const satisfies Record<
  Config['whatsapp']['browser']['os'],
  (browser: string) => [string, string, string]
>;

/** Pause between Baileys' tries of an auth-state commit; with one try it is never waited. */
const COMMIT_RETRY_DELAY_MS = 200;

/** The options every tenant's socket gets, whatever WhatsApp endpoint it talks to. */
export function sessionSocketOptions(config: Config): Partial<UserFacingSocketConfig> {
  const { os, name } = config.whatsapp.browser;
  return {
    // A standard device name: some accounts refuse pairing codes for unknown ones.
    browser: PLATFORMS[os](name),
    // Baileys retries a failed key commit 10 times, 3 s apart, by default. Our commits are fenced
    // transactions the SDK already retries on throttling and 5xx; a refusal by the fence is final
    // and must end the session at once, not hang its send (and a graceful stop) for ~30 s.
    transactionOpts: { maxCommitRetries: 1, delayBetweenTriesMs: COMMIT_RETRY_DELAY_MS },
  };
}

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
