import type { UserFacingSocketConfig } from '@whiskeysockets/baileys';
import type { Config } from '../../shared/config.js';
import { trustSimulatorRoot } from './trust-simulator.js';

/**
 * Baileys options that depend on where WhatsApp is: nothing in production; the simulator's URL in
 * demo mode and tests, after trusting its certificate root (which refuses inside AWS).
 */
export function whatsappEndpointOptions(config: Config): Partial<UserFacingSocketConfig> {
  const { webSocketUrl, simulatorRootKey } = config.whatsapp;
  if (!webSocketUrl) return {};
  if (simulatorRootKey) {
    trustSimulatorRoot({
      simulatorUrl: webSocketUrl,
      rootPublicKey: Buffer.from(simulatorRootKey, 'base64'),
    });
  }
  return { waWebSocketUrl: webSocketUrl };
}
