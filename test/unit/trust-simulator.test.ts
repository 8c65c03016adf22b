import { WA_CERT_DETAILS } from '@whiskeysockets/baileys';
import { afterEach, describe, expect, it } from 'vitest';
import { whatsappEndpoint } from '../../socket-host/whatsapp/socket-options.js';
import {
  AWS_RUNTIME_MARKERS,
  SimulatorTrustRefusedError,
  trustSimulatorRoot,
} from '../../socket-host/whatsapp/trust-simulator.js';
import { MEDIA_HOST_CA } from '../simulator/media-host.js';
import { testConfig } from '../support/env.js';

const whatsappRoot = Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY);
const simulatorRoot = Buffer.alloc(32, 7);
const simulatorUrl = 'ws://127.0.0.1:5050/ws/chat';

describe('trustSimulatorRoot', () => {
  afterEach(() => {
    WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(whatsappRoot);
  });

  it('replaces the certificate root Baileys checks when a simulator URL is set outside AWS', () => {
    trustSimulatorRoot({ simulatorUrl, rootPublicKey: simulatorRoot, env: {} });
    expect(Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY).equals(simulatorRoot)).toBe(true);
  });

  it('refuses without a simulator URL and leaves WhatsApp’s root in place', () => {
    for (const url of [undefined, '']) {
      expect(() => trustSimulatorRoot({ simulatorUrl: url, rootPublicKey: simulatorRoot, env: {} })).toThrow(
        SimulatorTrustRefusedError,
      );
    }
    expect(Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY).equals(whatsappRoot)).toBe(true);
  });

  it.each(AWS_RUNTIME_MARKERS)('refuses inside AWS when %s is set', (marker) => {
    expect(() =>
      trustSimulatorRoot({ simulatorUrl, rootPublicKey: simulatorRoot, env: { [marker]: 'anything' } }),
    ).toThrow(/inside AWS/);
    expect(Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY).equals(whatsappRoot)).toBe(true);
  });

  it('refuses a root key that is not a 32-byte Curve25519 key', () => {
    expect(() => trustSimulatorRoot({ simulatorUrl, rootPublicKey: Buffer.alloc(33), env: {} })).toThrow(
      SimulatorTrustRefusedError,
    );
  });
});

describe('whatsappEndpoint', () => {
  const simulator = { WA_WEB_SOCKET_URL: simulatorUrl, WA_SIMULATOR_MEDIA_CA: MEDIA_HOST_CA };

  it('adds nothing in production: no simulator URL, no extra trust', () => {
    const endpoint = whatsappEndpoint(testConfig({ WA_SIMULATOR_MEDIA_CA: MEDIA_HOST_CA }), {});
    expect(endpoint).toEqual({ socketOptions: {}, mediaDownload: {} });
  });

  it('trusts the simulator’s media host for uploads and downloads outside AWS', () => {
    const endpoint = whatsappEndpoint(testConfig(simulator), {});
    expect(endpoint.socketOptions.waWebSocketUrl).toBe(simulatorUrl);
    expect(endpoint.socketOptions.fetchAgent?.options.ca).toBe(MEDIA_HOST_CA.trim());
    expect(endpoint.mediaDownload.options).toHaveProperty('dispatcher');
  });

  it.each(AWS_RUNTIME_MARKERS)('refuses the media host’s certificate inside AWS (%s)', (marker) => {
    expect(() => whatsappEndpoint(testConfig(simulator), { [marker]: 'x' })).toThrow(/inside AWS/);
  });
});
