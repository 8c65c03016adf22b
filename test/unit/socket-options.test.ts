import { Browsers } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../shared/config.js';
import { sessionSocketOptions } from '../../socket-host/whatsapp/socket-options.js';

describe('the options every tenant socket gets', () => {
  it('announces Baileys’ standard macOS Chrome device unless WA_BROWSER says otherwise', () => {
    expect(sessionSocketOptions(loadConfig({})).browser).toEqual(Browsers.macOS('Chrome'));
    expect(sessionSocketOptions(loadConfig({})).browser).toEqual(['Mac OS', 'Chrome', '14.4.1']);
  });

  it.each([
    ['ubuntu:Chrome', Browsers.ubuntu('Chrome')],
    ['windows:Edge', Browsers.windows('Edge')],
    ['baileys:Desktop', Browsers.baileys('Desktop')],
    ['MacOS:safari', Browsers.macOS('Safari')],
    ['ubuntu', Browsers.ubuntu('Chrome')],
  ])('WA_BROWSER=%s announces one of Baileys’ Browsers', (value, expected) => {
    expect(sessionSocketOptions(loadConfig({ WA_BROWSER: value })).browser).toEqual(expected);
  });

  it.each(['wafleet', 'ubuntu:Netscape', 'ubuntu:Chrome:1.0.0', ':Chrome'])(
    'refuses WA_BROWSER=%s, naming the variable and the choices',
    (value) => {
      expect(() => loadConfig({ WA_BROWSER: value })).toThrow(ConfigError);
      expect(() => loadConfig({ WA_BROWSER: value })).toThrow(
        /WA_BROWSER: expected "os:browser" with os one of ubuntu, macos/,
      );
    },
  );

  it('tries an auth-state commit once: a write refused by the fence fails at once, not after 10 tries 3 s apart', () => {
    expect(sessionSocketOptions(loadConfig({})).transactionOpts).toMatchObject({ maxCommitRetries: 1 });
  });
});
